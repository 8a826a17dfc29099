print("sweep: under construction")
