namespace AspireChat.Tests.Fakes;

/// <summary>
/// Marks the thread handing a reply's frames to its observers, as <c>LiveReply</c> does under its lock, so a test can
/// tell whether an observer's own work (a send, a Redis write) ran inside the hand-over instead of after it.
/// </summary>
internal static class ReplyHandOver
{
    [ThreadStatic]
    private static bool t_handingOver;

    /// <summary>True on a thread inside <see cref="Run"/>.</summary>
    public static bool IsUnderWay => t_handingOver;

    /// <summary>Runs <paramref name="deliver"/> (a call that hands frames over) with this thread marked.</summary>
    public static void Run(Action deliver)
    {
        t_handingOver = true;
        try
        {
            deliver();
        }
        finally
        {
            t_handingOver = false;
        }
    }
}
