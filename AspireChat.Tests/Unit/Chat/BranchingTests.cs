using AspireChat.ChatApi.Chat;
using AspireChat.ChatApi.Replies;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Protocol;
using AspireChat.Tests.Fakes;
using Microsoft.Extensions.AI;

namespace AspireChat.Tests.Unit.Chat;

/// <summary>Regenerate, edit and switch through the coordinator, with the in-memory store and broker.</summary>
public sealed class BranchingTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RegenerateAddsASiblingReplyStreamedLikeAnyOtherAndKeepsTheOldOne()
    {
        await using var chat = new ChatHarness();
        var (conversationId, userId, firstReplyId) = await FirstTurnAsync(chat, "What is 2+2?", "Four.");

        chat.Model.Say("It is ", "4."); chat.Model.Finish(); chat.Model.End();
        var frames = await chat.Branch(TurnKind.Regenerate, conversationId, firstReplyId).Observer.UntilEndAsync();

        var start = Assert.IsType<StartFrame>(frames[0]);
        Assert.Equal(userId, start.ParentId);
        Assert.Equal("stop", Assert.IsType<EndFrame>(frames[^1]).FinishReason);
        var conversation = (await chat.Store.GetAsync(ChatHarness.Owner, conversationId, Token))!;
        Assert.Equal(3, conversation.Messages.Count);
        var tree = new ConversationTree(conversation.Messages);
        Assert.Equal(["Four.", "It is 4."], tree.Children(userId).Select(m => m.Content));
        Assert.Equal(start.MessageId, conversation.ActiveLeafId);
        // The prompt is the branch above the user message, and the message itself: not the old reply.
        Assert.Equal(["What is 2+2?"], chat.Model.Calls[^1].Where(m => m.Role != ChatRole.System).Select(m => m.Text));
    }

    [Fact]
    public async Task EditAddsASiblingUserMessageAndAReplyBelowItWithAPromptWithoutTheOldBranch()
    {
        await using var chat = new ChatHarness();
        var (conversationId, firstUserId, firstReplyId) = await FirstTurnAsync(chat, "Hi", "Hello!");
        chat.Model.Say("Paris."); chat.Model.Finish(); chat.Model.End();
        var second = await chat.Send("Capital of France?", conversationId).Observer.UntilEndAsync();
        var secondUserId = ((StartFrame)second[0]).ParentId!;

        chat.Model.Say("Rome."); chat.Model.Finish(); chat.Model.End();
        var edited = await chat.Branch(TurnKind.Edit, conversationId, secondUserId, "Capital of Italy?", id: "edit-1").Observer.UntilEndAsync();

        Assert.Equal("edit-1", ((StartFrame)edited[0]).ParentId);
        var conversation = (await chat.Store.GetAsync(ChatHarness.Owner, conversationId, Token))!;
        var tree = new ConversationTree(conversation.Messages);
        Assert.Equal(["Capital of France?", "Capital of Italy?"], tree.Children(firstReplyId).Select(m => m.Content));
        Assert.Equal(["Hi", "Hello!", "Capital of Italy?", "Rome."], tree.PathTo(conversation.ActiveLeafId).Select(m => m.Content));
        Assert.Equal(["Hi", "Hello!", "Capital of Italy?"], chat.Model.Calls[^1].Where(m => m.Role != ChatRole.System).Select(m => m.Text));
        Assert.Equal(firstUserId, tree.PathTo(conversation.ActiveLeafId)[0].Id);
    }

    [Theory]
    [InlineData(TurnKind.Regenerate)]
    [InlineData(TurnKind.Edit)]
    public async Task RegenerateOrEditWhileAReplyIsInFlightIsBusyAndWritesNothing(TurnKind kind)
    {
        await using var chat = new ChatHarness();
        var (conversationId, userId, _) = await FirstTurnAsync(chat, "Hi", "Hello!");
        var streaming = chat.Send("Tell me more", conversationId);
        await streaming.Observer.NextAsync<StartFrame>();
        var before = (await chat.Store.GetAsync(ChatHarness.Owner, conversationId, Token))!;

        var refused = await chat.Branch(kind, conversationId, userId, "Changed").Observer.UntilEndAsync();

        Assert.Equal(ErrorCodes.ConversationBusy, Assert.IsType<ErrorFrame>(Assert.Single(refused)).Code);
        AssertUnchanged(before, await chat.Store.GetAsync(ChatHarness.Owner, conversationId, Token));
        chat.Model.End();
        await streaming.Observer.UntilEndAsync();
    }

    [Theory]
    [InlineData(TurnKind.Regenerate)]
    [InlineData(TurnKind.Edit)]
    public async Task AMessageIdThatIsNotInTheConversationIsNotFoundAndWritesNothing(TurnKind kind)
    {
        await using var chat = new ChatHarness();
        var (conversationId, _, _) = await FirstTurnAsync(chat, "Hi", "Hello!");
        var (elsewhere, otherUserId, _) = await FirstTurnAsync(chat, "Other", "Other reply");
        var before = (await chat.Store.GetAsync(ChatHarness.Owner, conversationId, Token))!;

        foreach (var messageId in new[] { "no-such-message", otherUserId })
        {
            var refused = await chat.Branch(kind, conversationId, messageId, "Changed").Observer.UntilEndAsync();
            var error = Assert.IsType<ErrorFrame>(Assert.Single(refused));
            Assert.Equal(ErrorCodes.NotFound, error.Code);
            Assert.Contains(messageId, error.Message, StringComparison.Ordinal);
        }

        AssertUnchanged(before, await chat.Store.GetAsync(ChatHarness.Owner, conversationId, Token));
        Assert.Equal(2, (await chat.Store.GetAsync(ChatHarness.Owner, elsewhere, Token))!.Messages.Count);
        Assert.Equal(2, chat.Model.Calls.Count);
    }

    [Theory]
    [InlineData(TurnKind.Regenerate)]
    [InlineData(TurnKind.Edit)]
    public async Task AnotherOwnersConversationIsNotFoundAndNothingOfItIsReadOrWritten(TurnKind kind)
    {
        await using var chat = new ChatHarness();
        var (conversationId, userId, _) = await FirstTurnAsync(chat, "Private", "Secret reply");
        var before = (await chat.Store.GetAsync(ChatHarness.Owner, conversationId, Token))!;

        var refused = await chat.Branch(kind, conversationId, userId, "Mine now", owner: "owner-b").Observer.UntilEndAsync();

        var error = Assert.IsType<ErrorFrame>(Assert.Single(refused));
        Assert.Equal(ErrorCodes.NotFound, error.Code);
        Assert.DoesNotContain("Private", error.Message, StringComparison.Ordinal);
        AssertUnchanged(before, await chat.Store.GetAsync(ChatHarness.Owner, conversationId, Token));
        Assert.Single(chat.Model.Calls);
    }

    [Fact]
    public async Task EditingAReplyIsRefusedAsTheWrongKindOfMessage()
    {
        await using var chat = new ChatHarness();
        var (conversationId, _, replyId) = await FirstTurnAsync(chat, "Hi", "Hello!");

        var refused = await chat.Branch(TurnKind.Edit, conversationId, replyId, "Rewritten").Observer.UntilEndAsync();

        Assert.Equal(ErrorCodes.InvalidTarget, Assert.IsType<ErrorFrame>(Assert.Single(refused)).Code);
        Assert.Equal(2, (await chat.Store.GetAsync(ChatHarness.Owner, conversationId, Token))!.Messages.Count);
    }

    [Fact]
    public async Task SwitchingBySiblingIndexMovesTheActiveLeafToTheNewestLeafOfThatBranchAndTellsOtherTabs()
    {
        await using var chat = new ChatHarness();
        var (conversationId, userId, firstReplyId) = await FirstTurnAsync(chat, "Hi", "First");
        chat.Model.Say("Follow-up answer"); chat.Model.End();
        await chat.Send("Follow-up", conversationId).Observer.UntilEndAsync();
        chat.Model.Say("Second"); chat.Model.End();
        var regenerated = await chat.Branch(TurnKind.Regenerate, conversationId, firstReplyId).Observer.UntilEndAsync();
        var otherTab = new RecordingObserver();
        var (watch, _) = await chat.Broker.WatchAsync(new WatchRequest(ChatHarness.Owner, conversationId, null, 0, "tab-2"), otherTab, Token);
        await using var _watch = watch!;

        var branch = Assert.IsType<BranchFrame>(await chat.Switcher.SwitchAsync(ChatHarness.Owner, conversationId, null, userId, 1, "tab-1", Token));

        var conversation = (await chat.Store.GetAsync(ChatHarness.Owner, conversationId, Token))!;
        var path = new ConversationTree(conversation.Messages).PathTo(conversation.ActiveLeafId).Select(m => m.Content);
        Assert.Equal(["Hi", "First", "Follow-up", "Follow-up answer"], path);
        Assert.Equal(conversation.ActiveLeafId, branch.LeafId);
        Assert.Equal(branch, await otherTab.NextAsync<BranchFrame>());

        var back = Assert.IsType<BranchFrame>(await chat.Switcher.SwitchAsync(ChatHarness.Owner, conversationId, ((StartFrame)regenerated[0]).MessageId, null, null, "tab-1", Token));
        Assert.Equal(((StartFrame)regenerated[0]).MessageId, back.LeafId);
    }

    [Theory]
    [InlineData("no-such-parent", 1, ErrorCodes.NotFound)]
    [InlineData(null, 2, ErrorCodes.InvalidIndex)]
    [InlineData("USER", 3, ErrorCodes.InvalidIndex)]
    [InlineData("USER", 0, ErrorCodes.InvalidIndex)]
    public async Task ASwitchToAParentOrIndexThatDoesNotExistIsRefusedAndMovesNothing(string? parent, int index, string code)
    {
        await using var chat = new ChatHarness();
        var (conversationId, userId, firstReplyId) = await FirstTurnAsync(chat, "Hi", "First");
        chat.Model.Say("Second"); chat.Model.End();
        await chat.Branch(TurnKind.Regenerate, conversationId, firstReplyId).Observer.UntilEndAsync();
        var before = (await chat.Store.GetAsync(ChatHarness.Owner, conversationId, Token))!;

        var refused = await chat.Switcher.SwitchAsync(ChatHarness.Owner, conversationId, null, parent == "USER" ? userId : parent, index, "tab", Token);

        Assert.Equal(code, Assert.IsType<ErrorFrame>(refused).Code);
        Assert.Equal(before.ActiveLeafId, (await chat.Store.GetAsync(ChatHarness.Owner, conversationId, Token))!.ActiveLeafId);
    }

    [Fact]
    public async Task ASwitchInAnotherOwnersConversationOrToAnUnknownMessageIsNotFound()
    {
        await using var chat = new ChatHarness();
        var (conversationId, userId, _) = await FirstTurnAsync(chat, "Hi", "First");
        var before = (await chat.Store.GetAsync(ChatHarness.Owner, conversationId, Token))!;

        Assert.Equal(ErrorCodes.NotFound, Assert.IsType<ErrorFrame>(await chat.Switcher.SwitchAsync("owner-b", conversationId, userId, null, null, "tab", Token)).Code);
        Assert.Equal(ErrorCodes.NotFound, Assert.IsType<ErrorFrame>(await chat.Switcher.SwitchAsync("owner-b", conversationId, null, null, 1, "tab", Token)).Code);
        Assert.Equal(ErrorCodes.NotFound, Assert.IsType<ErrorFrame>(await chat.Switcher.SwitchAsync(ChatHarness.Owner, conversationId, "nope", null, null, "tab", Token)).Code);
        AssertUnchanged(before, await chat.Store.GetAsync(ChatHarness.Owner, conversationId, Token));
    }

    [Fact]
    public async Task TwoTabsEditingTheSameMessageOneAfterTheOtherKeepBothBranches()
    {
        await using var chat = new ChatHarness();
        var (conversationId, userId, _) = await FirstTurnAsync(chat, "Draft", "Reply to draft");

        chat.Model.Say("A"); chat.Model.End();
        var first = await chat.Branch(TurnKind.Edit, conversationId, userId, "Edit from tab 1").Observer.UntilEndAsync();
        // The second tab still shows the old message and edits it too.
        chat.Model.Say("B"); chat.Model.End();
        var second = await chat.Branch(TurnKind.Edit, conversationId, userId, "Edit from tab 2").Observer.UntilEndAsync();

        Assert.IsType<EndFrame>(first[^1]);
        Assert.IsType<EndFrame>(second[^1]);
        var tree = new ConversationTree((await chat.Store.GetAsync(ChatHarness.Owner, conversationId, Token))!.Messages);
        Assert.Equal(["Draft", "Edit from tab 1", "Edit from tab 2"], tree.Children(null).Select(m => m.Content));
        Assert.Equal(["A"], tree.Children(tree.Children(null)[1].Id).Select(m => m.Content));
        Assert.Equal(["B"], tree.Children(tree.Children(null)[2].Id).Select(m => m.Content));
    }

    [Fact]
    public async Task AClientThatSendsAgainTheMomentItHearsARefusalIsNotTurnedAwayAsBusy()
    {
        await using var chat = new ChatHarness();
        var (conversationId, _, _) = await FirstTurnAsync(chat, "Hi", "Hello!");
        // Sends its next frame from inside its delivery of the refusal, as a quick client would.
        var quick = new AgainOnRefusalObserver(chat.Coordinator, new ChatTurnRequest(ChatHarness.Owner, "", conversationId, null, null, Kind: TurnKind.Regenerate, TargetMessageId: "still-no-such-message"));

        chat.Coordinator.Begin(new ChatTurnRequest(ChatHarness.Owner, "", conversationId, null, null, Kind: TurnKind.Regenerate, TargetMessageId: "no-such-message"), quick);

        var second = Assert.IsType<ErrorFrame>(Assert.Single(await quick.Next.UntilEndAsync()));
        Assert.Equal(ErrorCodes.NotFound, second.Code);
    }

    private static void AssertUnchanged(Conversation before, Conversation? after)
    {
        Assert.NotNull(after);
        Assert.Equal(before.Messages, after.Messages);
        Assert.Equal(before.ActiveLeafId, after.ActiveLeafId);
        Assert.Equal(before.Title, after.Title);
    }

    private static async Task<(string ConversationId, string UserId, string ReplyId)> FirstTurnAsync(ChatHarness chat, string question, string answer)
    {
        chat.Model.Say(answer);
        chat.Model.Finish();
        chat.Model.End();
        var frames = await chat.Send(question).Observer.UntilEndAsync();
        var start = Assert.IsType<StartFrame>(frames[0]);
        return (start.ConversationId, start.ParentId!, start.MessageId);
    }

    private sealed class AgainOnRefusalObserver(ReplyCoordinator coordinator, ChatTurnRequest again) : IReplyObserver
    {
        public RecordingObserver Next { get; } = new();

        public bool TryDeliver(ServerFrame frame)
        {
            if (frame is ErrorFrame { MessageId: null })
            {
                coordinator.Begin(again, Next);
            }

            return true;
        }
    }
}
