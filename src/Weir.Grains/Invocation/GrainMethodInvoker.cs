using System.Linq.Expressions;
using System.Reflection;

namespace Weir.Grains.Invocation;

/// <summary>
/// Turns a call on a grain interface method into a message, and runs that message on the grain.
/// Built once per method: the call into the grain is a compiled delegate, not reflection.
/// </summary>
internal abstract class GrainMethodInvoker
{
    protected GrainMethodInvoker(MethodInfo method)
    {
        Method = method;
        DisplayName = $"{method.DeclaringType!.Name}.{method.Name}";
        Timeout = method.GetCustomAttribute<ResponseTimeoutAttribute>()?.Timeout;
        AlwaysInterleaves = method.GetCustomAttribute<AlwaysInterleaveAttribute>() is not null;
    }

    public MethodInfo Method { get; }

    public string DisplayName { get; }

    /// <summary>A per-method timeout overriding the silo's, if the method declares one.</summary>
    public TimeSpan? Timeout { get; }

    /// <summary>Whether calls to the method interleave with any other (<see cref="AlwaysInterleaveAttribute"/>).</summary>
    public bool AlwaysInterleaves { get; }

    /// <summary>How the method crosses silos (its id and codecs); built at first use, so local-only methods never need serializers.</summary>
    public GrainMethod Wire => field ??= GrainMethod.For(Method);

    /// <summary>Runs the method on <paramref name="grain"/> with decoded arguments (a call that came from another silo).</summary>
    public abstract Task InvokeRaw(Grain grain, object?[] arguments);

    /// <summary>Sends the call to <paramref name="target"/>; returns what the proxy method returns.</summary>
    public abstract object Send(GrainReference target, object?[] arguments);

    public static GrainMethodInvoker Create(MethodInfo method)
    {
        var returnType = method.ReturnType;
        if (returnType == typeof(Task))
        {
            return new VoidInvoker(method, valueTask: false);
        }

        if (returnType == typeof(ValueTask))
        {
            return new VoidInvoker(method, valueTask: true);
        }

        if (returnType.IsGenericType)
        {
            var definition = returnType.GetGenericTypeDefinition();
            if (definition == typeof(Task<>) || definition == typeof(ValueTask<>))
            {
                var invokerType = typeof(ValueInvoker<>).MakeGenericType(returnType.GetGenericArguments()[0]);
                return (GrainMethodInvoker)Activator.CreateInstance(invokerType, method, definition == typeof(ValueTask<>))!;
            }
        }

        throw new InvalidOperationException(
            $"Grain interface method {method.DeclaringType!.Name}.{method.Name} returns {returnType.Name}: grain methods must return Task, Task<T>, ValueTask or ValueTask<T>.");
    }

    /// <summary>Compiles <c>(grain, args) => ((TInterface)grain).Method((T0)args[0], ...)</c>, converting a ValueTask result to a Task.</summary>
    protected static TDelegate Compile<TDelegate>(MethodInfo method, bool valueTask)
    {
        var grain = Expression.Parameter(typeof(Grain), "grain");
        var args = Expression.Parameter(typeof(object[]), "args");
        var parameters = method.GetParameters();
        var arguments = new Expression[parameters.Length];
        for (var i = 0; i < parameters.Length; i++)
        {
            arguments[i] = Expression.Convert(Expression.ArrayIndex(args, Expression.Constant(i)), parameters[i].ParameterType);
        }

        Expression call = Expression.Call(Expression.Convert(grain, method.DeclaringType!), method, arguments);
        if (valueTask)
        {
            call = Expression.Call(call, method.ReturnType.GetMethod(nameof(ValueTask.AsTask))!);
        }

        return Expression.Lambda<TDelegate>(call, grain, args).Compile();
    }

    private sealed class VoidInvoker(MethodInfo method, bool valueTask) : GrainMethodInvoker(method)
    {
        private readonly Func<Grain, object?[], Task> _call = Compile<Func<Grain, object?[], Task>>(method, valueTask);

        public override Task InvokeRaw(Grain grain, object?[] arguments) => _call(grain, arguments);

        public override object Send(GrainReference target, object?[] arguments)
        {
            var request = new Request(this, _call, arguments, target.Runtime.DeadlineFor(this));
            target.Send(request);
            return valueTask ? new ValueTask(request.Response) : request.Response;
        }
    }

    private sealed class ValueInvoker<T>(MethodInfo method, bool valueTask) : GrainMethodInvoker(method)
    {
        private readonly Func<Grain, object?[], Task<T>> _call = Compile<Func<Grain, object?[], Task<T>>>(method, valueTask);

        public override Task InvokeRaw(Grain grain, object?[] arguments) => _call(grain, arguments);

        public override object Send(GrainReference target, object?[] arguments)
        {
            var request = new Request<T>(this, _call, arguments, target.Runtime.DeadlineFor(this));
            target.Send(request);
            return valueTask ? new ValueTask<T>(request.Response) : request.Response;
        }
    }
}
