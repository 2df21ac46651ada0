// −∞ (NVRTC has no math.h, so no INFINITY).
#define NEGATIVE_INFINITY (__int_as_float(0xff800000))

// Block-wide sum and max (blockDim.x a multiple of 32, at most 1024; every thread gets the result).
__device__ float block_sum(float value, float *scratch) {
    for (int offset = 16; offset > 0; offset >>= 1) value += __shfl_xor_sync(0xffffffff, value, offset);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    __syncthreads();
    if (lane == 0) scratch[warp] = value;
    __syncthreads();
    float total = 0;
    for (int w = 0; w < (int)(blockDim.x >> 5); w++) total += scratch[w];
    return total;
}

__device__ float block_max(float value, float *scratch) {
    for (int offset = 16; offset > 0; offset >>= 1) value = fmaxf(value, __shfl_xor_sync(0xffffffff, value, offset));
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    __syncthreads();
    if (lane == 0) scratch[warp] = value;
    __syncthreads();
    float best = NEGATIVE_INFINITY;
    for (int w = 0; w < (int)(blockDim.x >> 5); w++) best = fmaxf(best, scratch[w]);
    return best;
}

// x[r, c] += bias[c] (Linear's bias after the cuBLAS product).
extern "C" __global__ void add_bias(float *x, const float *bias, int rows, int columns) {
    long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < (long)rows * columns) x[i] += bias[i % columns];
}

// db[c] += sum over rows of dy[r, c].
extern "C" __global__ void bias_backward(float *db, const float *dy, int rows, int columns) {
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= columns) return;
    float sum = 0;
    for (int r = 0; r < rows; r++) sum += dy[(long)r * columns + c];
    db[c] += sum;
}

extern "C" __global__ void relu_forward(float *y, const float *x, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] = x[i] > 0 ? x[i] : 0;
}

extern "C" __global__ void relu_backward(float *dx, const float *dy, const float *x, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) dx[i] = x[i] > 0 ? dy[i] : 0;
}

// GELU, exact erf form (PyTorch's nn.GELU() default).
extern "C" __global__ void gelu_forward(float *y, const float *x, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] = 0.5f * x[i] * (1.0f + erff(x[i] * 0.70710678f));
}

extern "C" __global__ void gelu_backward(float *dx, const float *dy, const float *x, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = x[i];
    float cdf = 0.5f * (1.0f + erff(v * 0.70710678f));
    float pdf = 0.39894228f * expf(-0.5f * v * v);
    dx[i] = dy[i] * (cdf + v * pdf);
}

// Adam / AdamW over the flat parameter buffer, as AdamOptimizer.update: stepSize is
// lr / (1 − β1^t), root2 is √(1 − β2^t), decay is 1 − lr · weight decay.
extern "C" __global__ void adam_update(float *p, const float *g, float *m, float *v, int n, float stepSize,
                                       float beta1, float beta2, float epsilon, float root2, float decay) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    float gi = g[i];
    float mi = beta1 * m[i] + (1 - beta1) * gi;
    float vi = beta2 * v[i] + (1 - beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    float pi = p[i];
    if (decay != 1.0f) pi *= decay;
    p[i] = pi - stepSize * mi / (sqrtf(vi) / root2 + epsilon);
}

// out[k, :] = table[ids[k], :] (id 0, padding, gives its row like any other).
extern "C" __global__ void embedding_forward(float *out, const int *ids, const float *table, int count, int channels) {
    long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (long)count * channels) return;
    long k = i / channels;
    out[i] = table[(long)ids[k] * channels + i % channels];
}

// dtable[ids[k], :] += dout[k, :], padding rows (id 0) excluded.
extern "C" __global__ void embedding_backward(float *dtable, const float *dout, const int *ids, int count, int channels) {
    long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (long)count * channels) return;
    int id = ids[i / channels];
    if (id != 0) atomicAdd(&dtable[(long)id * channels + i % channels], dout[i]);
}

// One block per row of logits [rows, v] (bias optional): loss[r] = −log softmax[target],
// and with a gradient the row becomes scale · (softmax − onehot(target)) in place. A target
// of 0 marks a context-only row: no loss, a zero gradient.
extern "C" __global__ void softmax_cross_entropy(float *logits, const float *bias, const int *targets, float *loss,
                                                 int rows, int v, float scale, int gradient) {
    __shared__ float scratch[32];
    int r = blockIdx.x;
    if (r >= rows) return;
    float *row = logits + (long)r * v;
    int target = targets[r];
    if (target == 0) {
        if (gradient) for (int j = threadIdx.x; j < v; j += blockDim.x) row[j] = 0;
        if (threadIdx.x == 0) loss[r] = 0;
        return;
    }
    float localMax = NEGATIVE_INFINITY;
    for (int j = threadIdx.x; j < v; j += blockDim.x) {
        float x = row[j] + (bias ? bias[j] : 0.0f);
        row[j] = x;
        localMax = fmaxf(localMax, x);
    }
    float maximum = block_max(localMax, scratch);
    float localSum = 0;
    for (int j = threadIdx.x; j < v; j += blockDim.x) localSum += expf(row[j] - maximum);
    float sum = block_sum(localSum, scratch);
    float targetLogit = row[target];
    __syncthreads();
    if (threadIdx.x == 0) loss[r] = logf(sum) + maximum - targetLogit;
    if (!gradient) return;
    float factor = scale / sum;
    for (int j = threadIdx.x; j < v; j += blockDim.x) row[j] = expf(row[j] - maximum) * factor - (j == target ? scale : 0.0f);
}

// One block per row: y = (x − mean) / √(var + eps) · w + b, keeping mean and 1/std for backward.
extern "C" __global__ void layer_norm_forward(float *y, float *mean, float *rstd, const float *x, const float *w,
                                              const float *b, int rows, int c, float epsilon) {
    __shared__ float scratch[32];
    int r = blockIdx.x;
    if (r >= rows) return;
    const float *xr = x + (long)r * c;
    float local = 0;
    for (int j = threadIdx.x; j < c; j += blockDim.x) local += xr[j];
    float mu = block_sum(local, scratch) / c;
    local = 0;
    for (int j = threadIdx.x; j < c; j += blockDim.x) { float d = xr[j] - mu; local += d * d; }
    float inverse = rsqrtf(block_sum(local, scratch) / c + epsilon);
    for (int j = threadIdx.x; j < c; j += blockDim.x) y[(long)r * c + j] = (xr[j] - mu) * inverse * w[j] + b[j];
    if (threadIdx.x == 0) { mean[r] = mu; rstd[r] = inverse; }
}

// One block per row: dx, dw and db all accumulated (as LayerNorm.backward on the CPU: the
// input usually also feeds a residual path); dw and db with atomics.
extern "C" __global__ void layer_norm_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                                               const float *w, const float *mean, const float *rstd, int rows, int c) {
    __shared__ float scratch[32];
    int r = blockIdx.x;
    if (r >= rows) return;
    const float *xr = x + (long)r * c, *dyr = dy + (long)r * c;
    float mu = mean[r], inverse = rstd[r];
    float sumDy = 0, sumDyXhat = 0;
    for (int j = threadIdx.x; j < c; j += blockDim.x) {
        float xhat = (xr[j] - mu) * inverse;
        float dxhat = dyr[j] * w[j];
        sumDy += dxhat;
        sumDyXhat += dxhat * xhat;
        atomicAdd(&dw[j], dyr[j] * xhat);
        atomicAdd(&db[j], dyr[j]);
    }
    sumDy = block_sum(sumDy, scratch);
    sumDyXhat = block_sum(sumDyXhat, scratch);
    for (int j = threadIdx.x; j < c; j += blockDim.x) {
        float xhat = (xr[j] - mu) * inverse;
        dx[(long)r * c + j] += inverse * (dyr[j] * w[j] - (sumDy + xhat * sumDyXhat) / c);
    }
}

// Inverted dropout with a counter-based hash (the mask depends on seed and index only, so
// it is the same whatever the launch shape): mask = 0 or 1/(1−p), y = x · mask.
extern "C" __global__ void dropout_forward(float *values, float *mask, int n, float p, unsigned int seedLow, unsigned int seedHigh) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    unsigned long long z = ((unsigned long long)seedHigh << 32 | seedLow) + 0x9E3779B97F4A7C15ull * (unsigned long long)(i + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    float u = (float)(z >> 40) * (1.0f / 16777216.0f);
    float keep = u >= p ? 1.0f / (1.0f - p) : 0.0f;
    mask[i] = keep;
    values[i] *= keep;
}

// LSTM cell for `rows` sequences given pre-activations gates [rows, 4H] in PyTorch's
// order (i, f, g, o): c = σ(f)·c + σ(i)·tanh(g), h = σ(o)·tanh(c); activations are kept in
// place of the gates for backward.
extern "C" __global__ void lstm_cell_forward(float *gates, float *c, float *h, int rows, int hidden) {
    long k = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (k >= (long)rows * hidden) return;
    long r = k / hidden, j = k % hidden;
    float *g = gates + r * 4 * hidden;
    float i = 1.0f / (1.0f + expf(-g[j]));
    float f = 1.0f / (1.0f + expf(-g[hidden + j]));
    float cand = tanhf(g[2 * hidden + j]);
    float o = 1.0f / (1.0f + expf(-g[3 * hidden + j]));
    float cell = f * c[k] + i * cand;
    g[j] = i; g[hidden + j] = f; g[2 * hidden + j] = cand; g[3 * hidden + j] = o;
    c[k] = cell;
    h[k] = o * tanhf(cell);
}

// One training step of the LSTM cell over packed rows: rows below previousRows continue
// row r of the step before (its state at cellsBefore / hiddenBefore), the others start from
// zero. Also writes the state each row started from (previousCells / previousHidden), which
// the backward pass reads, so a step needs no separate copies.
extern "C" __global__ void lstm_cell_forward_step(float *gates, const float *cellsBefore, const float *hiddenBefore, int previousRows,
                                                  float *previousCells, float *previousHidden, float *c, float *h, int rows, int hidden) {
    long k = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (k >= (long)rows * hidden) return;
    long r = k / hidden, j = k % hidden;
    float cp = r < previousRows ? cellsBefore[k] : 0.0f;
    previousCells[k] = cp;
    previousHidden[k] = r < previousRows ? hiddenBefore[k] : 0.0f;
    float *g = gates + r * 4 * hidden;
    float i = 1.0f / (1.0f + expf(-g[j]));
    float f = 1.0f / (1.0f + expf(-g[hidden + j]));
    float cand = tanhf(g[2 * hidden + j]);
    float o = 1.0f / (1.0f + expf(-g[3 * hidden + j]));
    float cell = f * cp + i * cand;
    g[j] = i; g[hidden + j] = f; g[2 * hidden + j] = cand; g[3 * hidden + j] = o;
    c[k] = cell;
    h[k] = o * tanhf(cell);
}

// Backward of lstm_cell_forward for one step: gates hold the activations (i, f, g, o),
// dc holds dLoss/dc from the step after and becomes dLoss/dc of the step before; dgates
// gets the pre-activation gradients (for the cuBLAS products with the weights).
extern "C" __global__ void lstm_cell_backward(float *dgates, float *dc, const float *gates, const float *cPrevious,
                                              const float *c, const float *dh, int rows, int hidden) {
    long k = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (k >= (long)rows * hidden) return;
    long r = k / hidden, j = k % hidden;
    const float *g = gates + r * 4 * hidden;
    float i = g[j], f = g[hidden + j], cand = g[2 * hidden + j], o = g[3 * hidden + j];
    float tc = tanhf(c[k]);
    float dcell = dc[k] + dh[k] * o * (1 - tc * tc);
    float *d = dgates + r * 4 * hidden;
    d[j] = dcell * cand * i * (1 - i);
    d[hidden + j] = dcell * cPrevious[k] * f * (1 - f);
    d[2 * hidden + j] = dcell * i * (1 - cand * cand);
    d[3 * hidden + j] = dh[k] * tc * o * (1 - o);
    dc[k] = dcell * f;
}

// GRU cell (PyTorch's gate order r, z, n) for one step: inputGates = x W_ihᵀ + b_ih and
// hiddenGates = h W_hhᵀ + b_hh [rows, 3H]; r = σ(i_r + h_r), z = σ(i_z + h_z),
// n = tanh(i_n + r · h_n), h = (1 − z) · n + z · hPrevious. The activated r, z, n replace
// inputGates for backward (as GRULayer on the CPU).
extern "C" __global__ void gru_cell_forward(float *inputGates, const float *hiddenGates, const float *hPrevious, float *h,
                                            int rows, int hidden) {
    long k = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (k >= (long)rows * hidden) return;
    long r = k / hidden, j = k % hidden;
    float *ig = inputGates + r * 3 * hidden;
    const float *hg = hiddenGates + r * 3 * hidden;
    float reset = 1.0f / (1.0f + expf(-(ig[j] + hg[j])));
    float update = 1.0f / (1.0f + expf(-(ig[hidden + j] + hg[hidden + j])));
    float candidate = tanhf(ig[2 * hidden + j] + reset * hg[2 * hidden + j]);
    ig[j] = reset; ig[hidden + j] = update; ig[2 * hidden + j] = candidate;
    h[k] = (1 - update) * candidate + update * hPrevious[k];
}

// Backward of gru_cell_forward: from dh, the pre-activation gradients of both gate sets
// and the direct part of dhPrevious (z · dh; the W_hh product is added by cuBLAS).
extern "C" __global__ void gru_cell_backward(float *dInputGates, float *dHiddenGates, float *dhPrevious,
                                             const float *inputGates, const float *hiddenGates, const float *hPrevious,
                                             const float *dh, int rows, int hidden) {
    long k = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (k >= (long)rows * hidden) return;
    long r = k / hidden, j = k % hidden;
    const float *a = inputGates + r * 3 * hidden;
    float reset = a[j], update = a[hidden + j], candidate = a[2 * hidden + j];
    float hn = hiddenGates[r * 3 * hidden + 2 * hidden + j];
    float g = dh[k];
    float dn = g * (1 - update) * (1 - candidate * candidate);
    float dz = g * (hPrevious[k] - candidate) * update * (1 - update);
    float dr = dn * hn * reset * (1 - reset);
    float *di = dInputGates + r * 3 * hidden, *dhg = dHiddenGates + r * 3 * hidden;
    di[j] = dr; di[hidden + j] = dz; di[2 * hidden + j] = dn;
    dhg[j] = dr; dhg[hidden + j] = dz; dhg[2 * hidden + j] = dn * reset;
    dhPrevious[k] = g * update;
}

// Causal self-attention's probabilities over left-padded windows: scores [B·heads, T, T]
// (query rows, key columns, from a batched cuBLAS product), pads[b] = padding positions at
// the left of window b. One block per query row: P = softmax(scale · scores) over the keys
// that are neither padding nor later than the query; masked keys and padded queries get 0.
extern "C" __global__ void causal_softmax_forward(float *scores, const int *pads, int batchHeads, int heads, int t, float scale) {
    __shared__ float scratch[32];
    int row = blockIdx.x;
    if (row >= batchHeads * t) return;
    int bh = row / t, query = row % t, pad = pads[bh / heads];
    float *s = scores + (long)row * t;
    if (query < pad) {
        for (int key = threadIdx.x; key < t; key += blockDim.x) s[key] = 0;
        return;
    }
    float localMax = NEGATIVE_INFINITY;
    for (int key = pad + threadIdx.x; key <= query; key += blockDim.x) localMax = fmaxf(localMax, s[key] * scale);
    float maximum = block_max(localMax, scratch);
    float localSum = 0;
    for (int key = pad + threadIdx.x; key <= query; key += blockDim.x) localSum += expf(s[key] * scale - maximum);
    float sum = block_sum(localSum, scratch);
    for (int key = threadIdx.x; key < t; key += blockDim.x) {
        s[key] = (key >= pad && key <= query) ? expf(s[key] * scale - maximum) / sum : 0.0f;
    }
}

// Its backward, in place: dScores = scale · P ⊙ (dP − Σ_keys dP ⊙ P), row by row
// (masked entries have P = 0 and get 0).
extern "C" __global__ void causal_softmax_backward(float *gradient, const float *probabilities, int rows, int t, float scale) {
    __shared__ float scratch[32];
    int row = blockIdx.x;
    if (row >= rows) return;
    float *g = gradient + (long)row * t;
    const float *p = probabilities + (long)row * t;
    float local = 0;
    for (int key = threadIdx.x; key < t; key += blockDim.x) local += g[key] * p[key];
    float dot = block_sum(local, scratch);
    for (int key = threadIdx.x; key < t; key += blockDim.x) g[key] = scale * p[key] * (g[key] - dot);
}

// Σ x² over n values into partial sums, one per block (the host adds the blocks' sums):
// the global gradient norm for clipping and the non-finite check.
extern "C" __global__ void sum_of_squares(float *partial, const float *x, long n) {
    __shared__ float scratch[32];
    float local = 0;
    for (long i = (long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x) local += x[i] * x[i];
    float total = block_sum(local, scratch);
    if (threadIdx.x == 0) partial[blockIdx.x] = total;
}

// x *= factor (gradient clipping, loss scaling).
extern "C" __global__ void scale_values(float *x, long n, float factor) {
    long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) x[i] *= factor;
}

// y += alpha · x (residual connections, scaled embeddings).
extern "C" __global__ void add_scaled(float *y, const float *x, long n, float alpha) {
    long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] += alpha * x[i];
}

// One block per row of a chunk of logits [rows, v] over left-padded windows of length t
// (ids [B, t], 0 = padding; chunk row r is window row firstRow + r): the items the window
// holds up to and including that position get −∞, except the row's target, so the softmax
// leaves them out (SASRec's exclude-seen-from-loss, as the CPU's `exclude` closure).
extern "C" __global__ void mask_history_logits(float *logits, const int *ids, const int *targets, int rows, int t, int v, int firstRow) {
    int r = blockIdx.x;
    if (r >= rows) return;
    int row = firstRow + r, window = row / t, position = row % t;
    int target = targets[row];
    if (target == 0) return;
    const int *history = ids + (long)window * t;
    for (int q = threadIdx.x; q <= position; q += blockDim.x) {
        int id = history[q];
        if (id != 0 && id != target) logits[(long)r * v + id] = NEGATIVE_INFINITY;
    }
}

// Backward of dropout_forward: the gradient passes where the value was kept, scaled alike.
extern "C" __global__ void dropout_backward(float *gradient, const float *mask, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) gradient[i] *= mask[i];
}
