print("bkdiag-fleet: not built yet")
