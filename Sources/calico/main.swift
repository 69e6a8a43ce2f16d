import CalicoCNI

await CNIPlugin.main(.calico)
