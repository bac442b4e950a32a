print("reverify")
