using System.Reflection;
using StackExchange.Redis;

namespace AspireChat.Tests.Fakes;

/// <summary>
/// A real multiplexer whose databases fail one chosen call as a dropped connection would, for faults
/// that must land at an exact point (a real outage lands anywhere). Everything else goes through, and a test may watch
/// every call as it is made.
/// </summary>
internal sealed class FailOnceRedis
{
    private Func<MethodInfo, object?[], bool>? _failNext;
    private Hook? _beforeNext;
    private Action<MethodInfo>? _beforeEvery;

    private FailOnceRedis(IConnectionMultiplexer inner) => Multiplexer = MultiplexerProxy.Create(inner, this);

    public IConnectionMultiplexer Multiplexer { get; }

    public static FailOnceRedis Wrap(IConnectionMultiplexer inner) => new(inner);

    /// <summary>The next database call matching <paramref name="match"/> (method, arguments) fails; the ones after it run.</summary>
    public void FailNext(Func<MethodInfo, object?[], bool> match) => _failNext = match;

    /// <summary>
    /// Runs <paramref name="action"/> just before the next database call matching <paramref name="match"/> is sent: what
    /// another client did in between, at an exact point.
    /// </summary>
    public void BeforeNext(Func<MethodInfo, object?[], bool> match, Action action) => _beforeNext = new Hook(match, action);

    /// <summary>Runs <paramref name="action"/> as every database call is made, on the thread that makes it.</summary>
    public void BeforeEvery(Action<MethodInfo> action) => _beforeEvery = action;

    private void RunBefore(MethodInfo method, object?[] arguments)
    {
        _beforeEvery?.Invoke(method);
        if (_beforeNext is { } before && before.Match(method, arguments) && Interlocked.CompareExchange(ref _beforeNext, null, before) == before)
        {
            before.Action();
        }
    }

    private bool ShouldFail(MethodInfo method, object?[] arguments) =>
        _failNext is { } match && match(method, arguments) && Interlocked.CompareExchange(ref _failNext, null, match) == match;

    private sealed record Hook(Func<MethodInfo, object?[], bool> Match, Action Action);

    private static readonly MethodInfo FromException = typeof(Task).GetMethods().Single(m => m.Name == nameof(Task.FromException) && m.IsGenericMethod);

    // DispatchProxy derives a class from these: they cannot be sealed.
#pragma warning disable CA1852
    internal class MultiplexerProxy : DispatchProxy
    {
        private IConnectionMultiplexer _inner = null!;
        private FailOnceRedis _owner = null!;

        public static IConnectionMultiplexer Create(IConnectionMultiplexer inner, FailOnceRedis owner)
        {
            var proxy = Create<IConnectionMultiplexer, MultiplexerProxy>();
            ((MultiplexerProxy)(object)proxy)._inner = inner;
            ((MultiplexerProxy)(object)proxy)._owner = owner;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            var result = targetMethod!.Invoke(_inner, args);
            return result is IDatabase database ? DatabaseProxy.Create(database, _owner) : result;
        }
    }

    internal class DatabaseProxy : DispatchProxy
    {
        private IDatabase _inner = null!;
        private FailOnceRedis _owner = null!;

        public static IDatabase Create(IDatabase inner, FailOnceRedis owner)
        {
            var proxy = Create<IDatabase, DatabaseProxy>();
            ((DatabaseProxy)(object)proxy)._inner = inner;
            ((DatabaseProxy)(object)proxy)._owner = owner;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            _owner.RunBefore(targetMethod!, args ?? []);
            if (_owner.ShouldFail(targetMethod!, args ?? []) && targetMethod!.ReturnType.IsGenericType && targetMethod.ReturnType.GetGenericTypeDefinition() == typeof(Task<>))
            {
                var lost = new RedisConnectionException(ConnectionFailureType.SocketClosed, CommandFlags.None, $"{targetMethod.Name} failed: the connection to Redis was lost (injected).", null, CommandStatus.Unknown);
                return FromException.MakeGenericMethod(targetMethod.ReturnType.GetGenericArguments()[0]).Invoke(null, [lost]);
            }

            return targetMethod!.Invoke(_inner, args);
        }
    }
#pragma warning restore CA1852
}
