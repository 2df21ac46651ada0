// dlopen/dlsym loading of the CUDA libraries declared in ccuda.h.
#define _GNU_SOURCE
#include "ccuda.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

static char loadedPaths[5][512];

/// Tries each name bare (the loader's search path) and then in each of `directories`.
static void *open_first(const char *const *names, const char *directories, char *error, size_t errorSize) {
    char tried[1024] = "";
    for (int i = 0; names[i]; i++) {
        void *handle = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
        if (handle) return handle;
        if (directories && *directories) {
            const char *start = directories;
            while (*start) {
                const char *end = strchr(start, ':');
                size_t length = end ? (size_t)(end - start) : strlen(start);
                char path[1024];
                if (length > 0 && length + strlen(names[i]) + 2 < sizeof path) {
                    memcpy(path, start, length);
                    path[length] = '/';
                    strcpy(path + length + 1, names[i]);
                    handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
                    if (handle) return handle;
                }
                if (!end) break;
                start = end + 1;
            }
        }
        if (strlen(tried) + strlen(names[i]) + 3 < sizeof tried) {
            if (*tried) strcat(tried, ", ");
            strcat(tried, names[i]);
        }
    }
    snprintf(error, errorSize, "none of %s could be loaded%s%s", tried,
             directories && *directories ? " (also looked in " : "", directories && *directories ? directories : "");
    if (directories && *directories) strncat(error, ")", errorSize - strlen(error) - 1);
    return NULL;
}

/// Fills `slots[i]` with symbol `symbols[i]`; on a missing one, closes the library and fails.
static int bind(void *handle, int library, void **slots, const char *const *symbols, int count, char *error, size_t errorSize) {
    for (int i = 0; i < count; i++) {
        slots[i] = dlsym(handle, symbols[i]);
        if (!slots[i]) {
            snprintf(error, errorSize, "the library has no %s (too old a version?)", symbols[i]);
            dlclose(handle);
            return 0;
        }
    }
    Dl_info info;
    if (dladdr(slots[0], &info) && info.dli_fname) {
        snprintf(loadedPaths[library], sizeof loadedPaths[library], "%s", info.dli_fname);
    }
    return 1;
}

int ccuda_load_driver(CCUDADriverAPI *api, const char *directories, char *error, size_t errorSize) {
    static const char *const names[] = {"libcuda.so.1", "libcuda.so", NULL};
    static const char *const symbols[] = {
        "cuInit", "cuDriverGetVersion", "cuGetErrorString", "cuDeviceGetCount", "cuDeviceGet", "cuDeviceGetName",
        "cuDeviceTotalMem_v2", "cuDeviceGetAttribute", "cuDevicePrimaryCtxRetain", "cuDevicePrimaryCtxRelease_v2",
        "cuCtxSetCurrent", "cuCtxSynchronize", "cuMemAlloc_v2", "cuMemFree_v2", "cuMemcpyHtoD_v2", "cuMemcpyDtoH_v2",
        "cuMemGetInfo_v2", "cuMemcpyDtoD_v2", "cuMemsetD32_v2", "cuStreamCreate", "cuStreamDestroy_v2", "cuStreamSynchronize", "cuModuleLoadData",
        "cuModuleUnload", "cuModuleGetFunction", "cuLaunchKernel",
    };
    _Static_assert(sizeof(CCUDADriverAPI) == sizeof symbols / sizeof symbols[0] * sizeof(void *), "one symbol per slot");
    void *handle = open_first(names, directories, error, errorSize);
    return handle && bind(handle, CCUDA_LIBRARY_DRIVER, (void **)api, symbols, sizeof symbols / sizeof symbols[0], error, errorSize);
}

int ccuda_load_nvrtc(CCUDANVRTCAPI *api, const char *directories, char *error, size_t errorSize) {
    static const char *const names[] = {"libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so", NULL};
    static const char *const symbols[] = {
        "nvrtcVersion", "nvrtcGetErrorString", "nvrtcCreateProgram", "nvrtcCompileProgram", "nvrtcGetPTXSize",
        "nvrtcGetPTX", "nvrtcGetProgramLogSize", "nvrtcGetProgramLog", "nvrtcDestroyProgram",
    };
    _Static_assert(sizeof(CCUDANVRTCAPI) == sizeof symbols / sizeof symbols[0] * sizeof(void *), "one symbol per slot");
    void *handle = open_first(names, directories, error, errorSize);
    return handle && bind(handle, CCUDA_LIBRARY_NVRTC, (void **)api, symbols, sizeof symbols / sizeof symbols[0], error, errorSize);
}

int ccuda_load_cublas(CCUDACUBLASAPI *api, const char *directories, char *error, size_t errorSize) {
    static const char *const names[] = {"libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so", NULL};
    static const char *const symbols[] = {
        "cublasCreate_v2", "cublasDestroy_v2", "cublasGetVersion_v2", "cublasSetStream_v2", "cublasSgemm_v2",
        "cublasSgemmStridedBatched", "cublasGemmEx", "cublasGemmStridedBatchedEx",
    };
    _Static_assert(sizeof(CCUDACUBLASAPI) == sizeof symbols / sizeof symbols[0] * sizeof(void *), "one symbol per slot");
    void *handle = open_first(names, directories, error, errorSize);
    return handle && bind(handle, CCUDA_LIBRARY_CUBLAS, (void **)api, symbols, sizeof symbols / sizeof symbols[0], error, errorSize);
}

int ccuda_load_nvml(CCUDANVMLAPI *api, const char *directories, char *error, size_t errorSize) {
    static const char *const names[] = {"libnvidia-ml.so.1", "libnvidia-ml.so", NULL};
    static const char *const symbols[] = {
        "nvmlInit_v2", "nvmlShutdown", "nvmlSystemGetDriverVersion", "nvmlDeviceGetHandleByIndex_v2",
        "nvmlDeviceGetUtilizationRates", "nvmlDeviceGetMemoryInfo",
    };
    _Static_assert(sizeof(CCUDANVMLAPI) == sizeof symbols / sizeof symbols[0] * sizeof(void *), "one symbol per slot");
    void *handle = open_first(names, directories, error, errorSize);
    return handle && bind(handle, CCUDA_LIBRARY_NVML, (void **)api, symbols, sizeof symbols / sizeof symbols[0], error, errorSize);
}

const char *ccuda_loaded_path(int library) {
    return library >= 0 && library < 5 ? loadedPaths[library] : "";
}

int ccuda_load_nccl(CCUDANCCLAPI *api, const char *directories, char *error, size_t errorSize) {
    static const char *const names[] = {"libnccl.so.2", "libnccl.so", NULL};
    static const char *const symbols[] = {
        "ncclGetVersion", "ncclGetUniqueId", "ncclCommInitRank", "ncclAllReduce", "ncclCommDestroy", "ncclGetErrorString",
    };
    _Static_assert(sizeof(CCUDANCCLAPI) == sizeof symbols / sizeof symbols[0] * sizeof(void *), "one symbol per slot");
    void *handle = open_first(names, directories, error, errorSize);
    return handle && bind(handle, CCUDA_LIBRARY_NCCL, (void **)api, symbols, sizeof symbols / sizeof symbols[0], error, errorSize);
}
