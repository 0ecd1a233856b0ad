// LD_PRELOAD shim for the llama.cpp side-by-side: refuses the AMX tile-data permission request, so a llama.cpp CPU
// build compiled with -march=native on a VM that lists AMX in CPUID but faults on tile instructions (SIGILL in
// tinygemm_kernel_amx at `tilezero`) takes its AVX-512 path instead of its AMX buffer type. ggml asks for the
// permission with syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) and, when that fails, prints
// "AMX is not ready to be used!" and does not use AMX. Every other syscall passes through unchanged.
// Build: cc -shared -fPIC -O2 -o no_amx.so no_amx.c -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <sys/syscall.h>

#define ARCH_REQ_XCOMP_PERM 0x1023

long syscall(long number, ...) {
    va_list ap;
    va_start(ap, number);
    long a[6];
    for (int i = 0; i < 6; i++) a[i] = va_arg(ap, long);
    va_end(ap);
    if (number == SYS_arch_prctl && a[0] == ARCH_REQ_XCOMP_PERM) {
        errno = EPERM;
        return -1;
    }
    static long (*real)(long, ...) = 0;
    if (!real) real = (long (*)(long, ...)) dlsym(RTLD_NEXT, "syscall");
    return real(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
