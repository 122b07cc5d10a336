await BKDiagFleet.main()
