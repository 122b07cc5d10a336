print("fake-bluek")
