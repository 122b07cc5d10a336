import ArgumentParser

// Top-level code picks the synchronous `ParsableCommand.main()`, which refuses an async root command
// at run time; inside an async function the async overload is chosen.
func runBKDiag() async { await BKDiag.main() }
await runBKDiag()
