using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;

namespace AspireChat.Tests.AppHost;

/// <summary>
/// The AppHost's model parameters (ModelParameters.cs), read from its application model without
/// starting anything, so no container runtime is needed: with no key (or an empty one) nothing asks
/// for one, and opting in declares the key as a secret.
/// </summary>
public sealed class ModelParametersTests
{
    [Fact]
    public async Task WithoutAKeyThereIsNoOpenAIParameterToAskFor()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var appHost = await DistributedApplicationTestingBuilder.CreateAsync<AspireChatAppHost>(cancellationToken);
        if (!string.IsNullOrEmpty(appHost.Configuration["Parameters:openai-api-key"]))
        {
            Assert.Skip("This machine has an OpenAI key configured for the AppHost (user secrets or environment), so it runs OpenAI.");
        }

        Assert.DoesNotContain(appHost.Resources.OfType<ParameterResource>(), p => p.Name.StartsWith("openai", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnEmptyKeyMeansTheOfflineModel()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        // UseOpenAI=false too, so that only the key could opt in (the developer may have set UseOpenAI=true).
        await using var appHost = await DistributedApplicationTestingBuilder.CreateAsync<AspireChatAppHost>(
            ["Parameters:openai-api-key=", "UseOpenAI=false"],
            cancellationToken);

        // The key is there, empty (not missing), and still nothing asks for one.
        Assert.Equal("", appHost.Configuration["Parameters:openai-api-key"]);
        Assert.DoesNotContain(appHost.Resources.OfType<ParameterResource>(), p => p.Name.StartsWith("openai", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Parameters:openai-api-key=sk-test")]
    [InlineData("UseOpenAI=true")]
    public async Task OptingInDeclaresTheKeyAsASecretNextToTheModel(string setting)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var appHost = await DistributedApplicationTestingBuilder.CreateAsync<AspireChatAppHost>([setting], cancellationToken);

        var parameters = appHost.Resources.OfType<ParameterResource>().ToDictionary(p => p.Name);
        Assert.True(parameters["openai-api-key"].Secret);
        Assert.False(parameters["openai-model"].Secret);
    }

    [Fact]
    public async Task AnEndpointIsAParameterOnlyWhenOneIsConfigured()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var appHost = await DistributedApplicationTestingBuilder.CreateAsync<AspireChatAppHost>(
            ["Parameters:openai-api-key=sk-test", "Parameters:openai-endpoint=http://localhost:11434/v1/"],
            cancellationToken);

        Assert.Contains(appHost.Resources.OfType<ParameterResource>(), p => p.Name == "openai-endpoint");
    }

    [Fact]
    public async Task TheAspireTestsRunTheOfflineModelEvenWithAKeyConfigured()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        // A key and UseOpenAI=true first, as a developer's configuration would have them; the fixture's settings come after.
        await using var appHost = await DistributedApplicationTestingBuilder.CreateAsync<AspireChatAppHost>(
            ["Parameters:openai-api-key=sk-test", "UseOpenAI=true", .. AspireAppFixture.OfflineModelArgs],
            cancellationToken);

        Assert.DoesNotContain(appHost.Resources.OfType<ParameterResource>(), p => p.Name.StartsWith("openai", StringComparison.Ordinal));
    }
}
