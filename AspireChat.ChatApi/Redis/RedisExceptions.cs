namespace AspireChat.ChatApi.Redis;

/// <summary>Anything that went wrong talking to Redis. Messages never hold the password, keys or values.</summary>
public class RedisException : Exception
{
    public RedisException()
    {
    }

    public RedisException(string message) : base(message)
    {
    }

    public RedisException(string message, Exception? innerException) : base(message, innerException)
    {
    }
}

/// <summary>The server answered with an error reply; <see cref="Exception.Message"/> is the server's text.</summary>
public sealed class RedisServerException : RedisException
{
    public RedisServerException()
    {
    }

    public RedisServerException(string message) : base(message)
    {
    }

    public RedisServerException(string message, Exception? innerException) : base(message, innerException)
    {
    }

    /// <summary>The error's first word, e.g. "WRONGPASS", "NOAUTH", "ERR".</summary>
    public string Prefix => Message.Split(' ', 2)[0];
}

/// <summary>The connection could not be made, or it dropped while the command was in flight.</summary>
public sealed class RedisConnectionException : RedisException
{
    public RedisConnectionException()
    {
    }

    public RedisConnectionException(string message) : base(message)
    {
    }

    public RedisConnectionException(string message, Exception? innerException) : base(message, innerException)
    {
    }
}

/// <summary>No reply within the command timeout.</summary>
public sealed class RedisTimeoutException : RedisException
{
    public RedisTimeoutException()
    {
    }

    public RedisTimeoutException(string message) : base(message)
    {
    }

    public RedisTimeoutException(string message, Exception? innerException) : base(message, innerException)
    {
    }
}

/// <summary>The bytes from the server are not RESP2; the connection they came on is reset.</summary>
public sealed class RedisProtocolException : RedisException
{
    public RedisProtocolException()
    {
    }

    public RedisProtocolException(string message) : base(message)
    {
    }

    public RedisProtocolException(string message, Exception? innerException) : base(message, innerException)
    {
    }
}

/// <summary>A well-formed reply of a type the command does not return, e.g. an array where a string was due.</summary>
public sealed class RedisUnexpectedReplyException : RedisException
{
    public RedisUnexpectedReplyException()
    {
    }

    public RedisUnexpectedReplyException(string message) : base(message)
    {
    }

    public RedisUnexpectedReplyException(string message, Exception? innerException) : base(message, innerException)
    {
    }
}
