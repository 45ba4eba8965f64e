using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Weir.Grains.AzureBlob;
using Weir.Grains.Hosting;
using Weir.Grains.Membership;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Puts a silo's membership table in Azure Blob storage.</summary>
public static class AzureBlobMembershipExtensions
{
    /// <summary>
    /// Keeps the cluster's membership table in a blob below <paramref name="location"/> (see
    /// <see cref="BlobMembershipTable.Create"/>) and selects it
    /// (<see cref="ClusterOptions.MembershipTable"/> = <see cref="MembershipTableKind.Custom"/>).
    /// The cluster id is <see cref="ClusterOptions.ClusterId"/>.
    /// </summary>
    public static WeirSiloBuilder UseAzureBlobMembership(this WeirSiloBuilder builder, Uri location, Action<BlobMembershipOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(location);
        builder.Services.Configure<SiloOptions>(o => o.Cluster.MembershipTable = MembershipTableKind.Custom);
        builder.Services.AddSingleton<IMembershipTable>(sp =>
        {
            var options = new BlobMembershipOptions { LoggerFactory = sp.GetService<ILoggerFactory>(), TimeProvider = sp.GetService<TimeProvider>() };
            configure?.Invoke(options);
            var clusterId = sp.GetRequiredService<IOptions<SiloOptions>>().Value.Cluster.ClusterId
                ?? throw new InvalidOperationException("UseAzureBlobMembership needs SiloOptions.Cluster.ClusterId: the table is kept per cluster.");
            return BlobMembershipTable.Create(location, clusterId, options);
        });
        return builder;
    }
}
