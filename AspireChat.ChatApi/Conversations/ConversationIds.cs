using System.Buffers.Text;
using System.Security.Cryptography;

namespace AspireChat.ChatApi.Conversations;

/// <summary>Unguessable identifiers: 128 random bits, base64url (22 characters).</summary>
public static class ConversationIds
{
    public const int Length = 22;

    public static string New()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        return Base64Url.EncodeToString(bytes);
    }

    /// <summary>True when <paramref name="id"/> has the shape of an id this service issued.</summary>
    public static bool IsWellFormed(string? id) =>
        id is { Length: Length } && Base64Url.IsValid(id, out var decodedLength) && decodedLength == 16;
}
