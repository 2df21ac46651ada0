// The parts of the CUDA driver API, NVRTC, cuBLAS and NVML that Trajectory uses, declared
// here (no CUDA headers needed to build) and loaded at run time with dlopen, so every build
// runs on machines without CUDA. Types and signatures follow NVIDIA's public headers.
#ifndef CCUDA_H
#define CCUDA_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int CUresult;                       // 0 = CUDA_SUCCESS
typedef int CUdevice;
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;
typedef unsigned long long CUdeviceptr;

enum {
    CCUDA_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16,
    CCUDA_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
    CCUDA_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
};

/// The driver API (libcuda.so.1).
typedef struct {
    CUresult (*cuInit)(unsigned int flags);
    CUresult (*cuDriverGetVersion)(int *version);
    CUresult (*cuGetErrorString)(CUresult error, const char **text);
    CUresult (*cuDeviceGetCount)(int *count);
    CUresult (*cuDeviceGet)(CUdevice *device, int ordinal);
    CUresult (*cuDeviceGetName)(char *name, int length, CUdevice device);
    CUresult (*cuDeviceTotalMem)(size_t *bytes, CUdevice device);                 // cuDeviceTotalMem_v2
    CUresult (*cuDeviceGetAttribute)(int *value, int attribute, CUdevice device);
    CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *context, CUdevice device);
    CUresult (*cuDevicePrimaryCtxRelease)(CUdevice device);                       // cuDevicePrimaryCtxRelease_v2
    CUresult (*cuCtxSetCurrent)(CUcontext context);
    CUresult (*cuCtxSynchronize)(void);
    CUresult (*cuMemAlloc)(CUdeviceptr *pointer, size_t bytes);                   // cuMemAlloc_v2
    CUresult (*cuMemFree)(CUdeviceptr pointer);                                   // cuMemFree_v2
    CUresult (*cuMemcpyHtoD)(CUdeviceptr destination, const void *source, size_t bytes);   // _v2
    CUresult (*cuMemcpyDtoH)(void *destination, CUdeviceptr source, size_t bytes);         // _v2
    CUresult (*cuMemGetInfo)(size_t *free, size_t *total);                        // cuMemGetInfo_v2
    CUresult (*cuMemcpyDtoD)(CUdeviceptr destination, CUdeviceptr source, size_t bytes);   // _v2
    CUresult (*cuMemsetD32)(CUdeviceptr destination, unsigned int value, size_t count);    // _v2
    CUresult (*cuStreamCreate)(CUstream *stream, unsigned int flags);
    CUresult (*cuStreamDestroy)(CUstream stream);                                 // cuStreamDestroy_v2
    CUresult (*cuStreamSynchronize)(CUstream stream);
    CUresult (*cuModuleLoadData)(CUmodule *module, const void *image);
    CUresult (*cuModuleUnload)(CUmodule module);
    CUresult (*cuModuleGetFunction)(CUfunction *function, CUmodule module, const char *name);
    CUresult (*cuLaunchKernel)(CUfunction function, unsigned int gridX, unsigned int gridY, unsigned int gridZ,
                               unsigned int blockX, unsigned int blockY, unsigned int blockZ,
                               unsigned int sharedBytes, CUstream stream, void **parameters, void **extra);
} CCUDADriverAPI;

typedef int nvrtcResult;                    // 0 = NVRTC_SUCCESS
typedef struct _nvrtcProgram *nvrtcProgram;

/// The run-time compiler (libnvrtc.so.*): CUDA C source → PTX.
typedef struct {
    nvrtcResult (*nvrtcVersion)(int *major, int *minor);
    const char *(*nvrtcGetErrorString)(nvrtcResult result);
    nvrtcResult (*nvrtcCreateProgram)(nvrtcProgram *program, const char *source, const char *name, int headerCount,
                                      const char *const *headers, const char *const *includeNames);
    nvrtcResult (*nvrtcCompileProgram)(nvrtcProgram program, int optionCount, const char *const *options);
    nvrtcResult (*nvrtcGetPTXSize)(nvrtcProgram program, size_t *size);
    nvrtcResult (*nvrtcGetPTX)(nvrtcProgram program, char *ptx);
    nvrtcResult (*nvrtcGetProgramLogSize)(nvrtcProgram program, size_t *size);
    nvrtcResult (*nvrtcGetProgramLog)(nvrtcProgram program, char *log);
    nvrtcResult (*nvrtcDestroyProgram)(nvrtcProgram *program);
} CCUDANVRTCAPI;

typedef int cublasStatus_t;                 // 0 = CUBLAS_STATUS_SUCCESS
typedef struct cublasContext *cublasHandle_t;
enum { CCUDA_CUBLAS_OP_N = 0, CCUDA_CUBLAS_OP_T = 1 };

/// cuBLAS (libcublas.so.*), column-major as BLAS.
typedef struct {
    cublasStatus_t (*cublasCreate)(cublasHandle_t *handle);                       // cublasCreate_v2
    cublasStatus_t (*cublasDestroy)(cublasHandle_t handle);                       // cublasDestroy_v2
    cublasStatus_t (*cublasGetVersion)(cublasHandle_t handle, int *version);      // cublasGetVersion_v2
    cublasStatus_t (*cublasSetStream)(cublasHandle_t handle, CUstream stream);    // cublasSetStream_v2
    cublasStatus_t (*cublasSgemm)(cublasHandle_t handle, int transposeA, int transposeB, int m, int n, int k,
                                  const float *alpha, const float *a, int lda, const float *b, int ldb,
                                  const float *beta, float *c, int ldc);          // cublasSgemm_v2
    cublasStatus_t (*cublasSgemmStridedBatched)(cublasHandle_t handle, int transposeA, int transposeB, int m, int n, int k,
                                                const float *alpha, const float *a, int lda, long long strideA,
                                                const float *b, int ldb, long long strideB, const float *beta,
                                                float *c, int ldc, long long strideC, int batches);
    // The same products with a compute type (cublasComputeType_t), e.g. fp32 data multiplied
    // on tensor cores as TF32, bf16 or fp16 with fp32 accumulation; data types are cudaDataType_t.
    cublasStatus_t (*cublasGemmEx)(cublasHandle_t handle, int transposeA, int transposeB, int m, int n, int k,
                                   const void *alpha, const void *a, int aType, int lda, const void *b, int bType, int ldb,
                                   const void *beta, void *c, int cType, int ldc, int computeType, int algorithm);
    cublasStatus_t (*cublasGemmStridedBatchedEx)(cublasHandle_t handle, int transposeA, int transposeB, int m, int n, int k,
                                                 const void *alpha, const void *a, int aType, int lda, long long strideA,
                                                 const void *b, int bType, int ldb, long long strideB, const void *beta,
                                                 void *c, int cType, int ldc, long long strideC, int batches, int computeType,
                                                 int algorithm);
} CCUDACUBLASAPI;

/// cudaDataType_t CUDA_R_32F and cublasGemmAlgo_t CUBLAS_GEMM_DEFAULT.
#define CCUDA_R_32F 0
#define CCUDA_CUBLAS_GEMM_DEFAULT (-1)
/// cublasComputeType_t: fp32 data allowed to be rounded to TF32, bf16 or fp16 for tensor cores.
#define CCUDA_CUBLAS_COMPUTE_32F_FAST_TF32 77
#define CCUDA_CUBLAS_COMPUTE_32F_FAST_16BF 75
#define CCUDA_CUBLAS_COMPUTE_32F_FAST_16F 74

typedef int nvmlReturn_t;                   // 0 = NVML_SUCCESS
typedef struct nvmlDevice_st *nvmlDevice_t;
typedef struct { unsigned int gpu; unsigned int memory; } CCUDANVMLUtilization;
typedef struct { unsigned long long total; unsigned long long free; unsigned long long used; } CCUDANVMLMemory;

/// NVML (libnvidia-ml.so.1): utilisation and memory for progress lines and `doctor`.
typedef struct {
    nvmlReturn_t (*nvmlInit)(void);                                               // nvmlInit_v2
    nvmlReturn_t (*nvmlShutdown)(void);
    nvmlReturn_t (*nvmlSystemGetDriverVersion)(char *version, unsigned int length);
    nvmlReturn_t (*nvmlDeviceGetHandleByIndex)(unsigned int index, nvmlDevice_t *device);   // _v2
    nvmlReturn_t (*nvmlDeviceGetUtilizationRates)(nvmlDevice_t device, CCUDANVMLUtilization *utilization);
    nvmlReturn_t (*nvmlDeviceGetMemoryInfo)(nvmlDevice_t device, CCUDANVMLMemory *memory);
} CCUDANVMLAPI;

typedef int ncclResult_t;                   // 0 = ncclSuccess
typedef struct ncclComm *ncclComm_t;
/// ncclUniqueId: what every rank of a group needs to join it (rank 0 makes it, the others read it).
typedef struct { char internal[128]; } CCUDANCCLUniqueId;
#define CCUDA_NCCL_FLOAT32 7
#define CCUDA_NCCL_SUM 0

/// NCCL (libnccl.so.2): collectives between GPUs, one process per GPU.
typedef struct {
    ncclResult_t (*ncclGetVersion)(int *version);
    ncclResult_t (*ncclGetUniqueId)(CCUDANCCLUniqueId *id);
    ncclResult_t (*ncclCommInitRank)(ncclComm_t *comm, int ranks, CCUDANCCLUniqueId id, int rank);
    ncclResult_t (*ncclAllReduce)(const void *send, void *receive, size_t count, int dataType, int operation, ncclComm_t comm,
                                  CUstream stream);
    ncclResult_t (*ncclCommDestroy)(ncclComm_t comm);
    const char *(*ncclGetErrorString)(ncclResult_t result);
} CCUDANCCLAPI;

/// Loads the library (the first of `names` dlopen finds, each tried bare and in `directories`,
/// a colon-separated list that may be NULL) and fills `api`. Returns 1, or 0 with the reason in
/// `error` (no library found, or the first missing symbol).
int ccuda_load_driver(CCUDADriverAPI *api, const char *directories, char *error, size_t errorSize);
int ccuda_load_nvrtc(CCUDANVRTCAPI *api, const char *directories, char *error, size_t errorSize);
int ccuda_load_cublas(CCUDACUBLASAPI *api, const char *directories, char *error, size_t errorSize);
int ccuda_load_nvml(CCUDANVMLAPI *api, const char *directories, char *error, size_t errorSize);
int ccuda_load_nccl(CCUDANCCLAPI *api, const char *directories, char *error, size_t errorSize);

/// The path of the library a successful load opened (for `doctor`), or "".
const char *ccuda_loaded_path(int library);
enum { CCUDA_LIBRARY_DRIVER = 0, CCUDA_LIBRARY_NVRTC = 1, CCUDA_LIBRARY_CUBLAS = 2, CCUDA_LIBRARY_NVML = 3, CCUDA_LIBRARY_NCCL = 4 };

#ifdef __cplusplus
}
#endif
#endif
