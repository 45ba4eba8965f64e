using Microsoft.Extensions.Logging;

namespace Weir.Grains.Membership;

/// <summary>Membership's log events.</summary>
internal static partial class MembershipLog
{
    [LoggerMessage(200, LogLevel.Information, "Silo {Silo} ({SiloName}) joined cluster {ClusterId} as {Status} (table {Location})")]
    public static partial void Joined(ILogger logger, SiloAddress silo, string siloName, string clusterId, SiloStatus status, string location);

    [LoggerMessage(201, LogLevel.Information, "Membership v{Version}: {Table}")]
    public static partial void TableChanged(ILogger logger, int version, string table);

    [LoggerMessage(202, LogLevel.Warning, "Suspecting silo {Suspect}: {Missed} probes missed in a row")]
    public static partial void Suspecting(ILogger logger, SiloAddress suspect, int missed);

    [LoggerMessage(203, LogLevel.Warning, "Voted silo {Suspect} dead: {FreshVotes} of {RequiredVotes} votes needed")]
    public static partial void Voted(ILogger logger, SiloAddress suspect, int freshVotes, int requiredVotes);

    [LoggerMessage(204, LogLevel.Warning, "Declared silo {Suspect} dead with {FreshVotes} fresh votes (voters: {Voters})")]
    public static partial void DeclaredDead(ILogger logger, SiloAddress suspect, int freshVotes, string voters);

    [LoggerMessage(205, LogLevel.Critical, "This silo {Silo} was declared dead by the cluster; stopping")]
    public static partial void SelfDeclaredDead(ILogger logger, SiloAddress silo);

    [LoggerMessage(206, LogLevel.Warning, "Membership {Operation} failed; retrying on the next period")]
    public static partial void OperationFailed(ILogger logger, Exception exception, string operation);

    [LoggerMessage(207, LogLevel.Information, "Declared the earlier generation {Old} of this silo's endpoint dead")]
    public static partial void EarlierGenerationDead(ILogger logger, SiloAddress old);

    [LoggerMessage(208, LogLevel.Information, "Silo {Silo} is now {Status}")]
    public static partial void StatusChanged(ILogger logger, SiloAddress silo, SiloStatus status);
}
