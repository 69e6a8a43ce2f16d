print("calicoctl")
