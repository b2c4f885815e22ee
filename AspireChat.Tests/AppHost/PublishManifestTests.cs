using System.Text.Json.Nodes;

namespace AspireChat.Tests.AppHost;

/// <summary>
/// What azd reads: the AppHost's deployment manifest, made the way azd makes it (the AppHost run with
/// <c>--publisher manifest</c>), checked for the shape docs/deploy.md promises.
/// </summary>
public sealed class PublishManifestTests
{
    [Fact]
    public async Task TheManifestHasAnExternalWebAnInternalChatApiARedisCacheWithASecretAndTheKeyAsASecretParameter()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var manifest = await PublishAsync(cancellationToken);
        var resources = manifest["resources"]!.AsObject();

        // The cache is Aspire's Redis container whatever this machine can run, with its data volume and a generated password.
        var cache = resources["cache"]!;
        Assert.Equal("container.v0", (string?)cache["type"]);
        Assert.StartsWith("docker.io/library/redis:", (string?)cache["image"], StringComparison.Ordinal);
        Assert.Contains("password={cache-password.value}", (string?)cache["connectionString"], StringComparison.Ordinal);
        Assert.Equal("/data", (string?)cache["volumes"]![0]!["target"]);
        Assert.True((bool)resources["cache-password"]!["inputs"]!["value"]!["secret"]!);

        // chatapi: reached only from inside the environment, with the cache's connection string and the model's parameters.
        var chatApi = resources["chatapi"]!;
        Assert.Equal("project.v0", (string?)chatApi["type"]);
        Assert.All(chatApi["bindings"]!.AsObject(), binding => Assert.NotEqual(true, (bool?)binding.Value!["external"]));
        Assert.Equal("{cache.connectionString}", (string?)chatApi["env"]!["ConnectionStrings__cache"]);
        Assert.Equal("{openai-api-key.value}", (string?)chatApi["env"]!["Model__ApiKey"]);
        Assert.True((bool)resources["openai-api-key"]!["inputs"]!["value"]!["secret"]!);
        Assert.Equal("gpt-4o-mini", (string?)resources["openai-model"]!["inputs"]!["value"]!["default"]!["value"]);

        // web: the only thing users reach, finding chatapi through service discovery.
        var web = resources["web"]!;
        Assert.True((bool?)web["bindings"]!["http"]!["external"]);
        Assert.Equal("{chatapi.bindings.http.url}", (string?)web["env"]!["services__chatapi__http__0"]);
    }

    /// <summary>Runs the AppHost as azd does, and reads the manifest it writes.</summary>
    private static async Task<JsonNode> PublishAsync(CancellationToken cancellationToken)
    {
        var output = Directory.CreateTempSubdirectory("aspirechat-manifest-").FullName;
        try
        {
            var path = Path.Combine(output, "aspire-manifest.json");
            var (exitCode, log) = await AppHostProcess.RunAsync(["--publisher", "manifest", "--output-path", path], new Dictionary<string, string>(), TimeSpan.FromSeconds(60), cancellationToken);
            Assert.True(exitCode == 0 && File.Exists(path), $"Publishing the manifest failed ({exitCode}):{Environment.NewLine}{log}");
            return JsonNode.Parse(await File.ReadAllTextAsync(path, cancellationToken))!;
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
