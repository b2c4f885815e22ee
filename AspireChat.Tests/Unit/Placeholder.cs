namespace AspireChat.Tests.Unit;
