#include <stddef.h>
#include <stdint.h>

// libFuzzer's driver (in the toolchain's libclang_rt.fuzzer, linked by -sanitize=fuzzer).
// SwiftPM makes an executable's `main` its own entry point, so the fuzz targets start the
// driver from there instead of using libFuzzer's `main`.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));
