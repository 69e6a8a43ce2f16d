import CalicoCNI

await CNIPlugin.main(.calicoIPAM)
