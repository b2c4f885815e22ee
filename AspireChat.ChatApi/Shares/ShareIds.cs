using System.Buffers.Text;
using System.Security.Cryptography;

namespace AspireChat.ChatApi.Shares;

/// <summary>
/// Share ids: 144 random bits, base64url (24 characters). Whoever has one can read the share, so it is
/// as unguessable as an owner id, and a length of its own tells it from a conversation id at a glance.
/// </summary>
public static class ShareIds
{
    public const int Length = 24;

    private const int Bytes = 18;

    public static string New()
    {
        Span<byte> bytes = stackalloc byte[Bytes];
        RandomNumberGenerator.Fill(bytes);
        return Base64Url.EncodeToString(bytes);
    }

    /// <summary>True when <paramref name="id"/> has the shape of an id this service issued; anything else is not found, unread.</summary>
    public static bool IsWellFormed(string? id) =>
        id is { Length: Length } && Base64Url.IsValid(id, out var decodedLength) && decodedLength == Bytes;
}
