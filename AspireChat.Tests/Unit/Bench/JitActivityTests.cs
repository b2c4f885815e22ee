using AspireChat.Bench.Processes;

namespace AspireChat.Tests.Unit.Bench;

public sealed class JitActivityTests
{
    [Fact]
    public void CompiledMethodsAreCountedAsTheMapGrows()
    {
        var path = Path.Combine(Path.GetTempPath(), $"perf-test-{Guid.NewGuid():N}.map");
        var jit = new JitActivity(path);
        try
        {
            Assert.Equal(0, jit.Count());
            File.WriteAllText(path, "7f01 2a void [A] A::B()[QuickJitted]\n7f02 10 stub ReportStubBlock<Unknown>\n");
            Assert.Equal(2, jit.Count());
            File.AppendAllText(path, "7f03 40 instance bool [A] A::C(int32)[OptimizedTier1]\n");

            Assert.Equal(3, jit.Count());
            Assert.Equal(["instance bool [A] A::C(int32)[OptimizedTier1]"], jit.NamesSince(2, 10));
        }
        finally
        {
            jit.Delete();
        }
    }

    [Theory]
    [InlineData("void [A] A::B()[QuickJitted]", "QuickJitted")]
    [InlineData("instance void [System.Private.CoreLib] System.Threading.Tasks.Task::Wait()[InstrumentedTierOptimized]", "InstrumentedTierOptimized")]
    [InlineData("stub CreateHelperArgMove<DynamicHelper>", "stub")]
    [InlineData("void [A] A::B()", "unknown")]
    public void TheTierIsReadFromTheLinesEnd(string name, string tier)
    {
        Assert.Equal(tier, JitActivity.TierOf(name));
    }
}
