import ArgumentParser

await BKDiag.main()
