/* Element types and a plain tensor view (data pointer + shape). */
#ifndef FRAMEGEN_TENSOR_H
#define FRAMEGEN_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FG_MAX_DIMS 8

typedef enum fg_dtype {
    FG_F32, FG_F16, FG_BF16, FG_F64, FG_I64, FG_I32, FG_I16, FG_I8, FG_U8, FG_BOOL
} fg_dtype;

size_t fg_dtype_size(fg_dtype dt);
const char *fg_dtype_name(fg_dtype dt);          /* safetensors spelling: "F32", "BF16", ... */
int fg_dtype_from_name(const char *s, fg_dtype *out); /* 0 on success */

/* A float32 tensor view; the data is owned elsewhere. */
typedef struct fg_tensor {
    const float *data;
    int ndim;
    int64_t shape[FG_MAX_DIMS];
} fg_tensor;

int64_t fg_shape_numel(int ndim, const int64_t *shape);
/* Writes "[2, 12, 64]" into buf. */
void fg_shape_str(int ndim, const int64_t *shape, char *buf, size_t len);

float fg_f16_to_f32(uint16_t h);
float fg_bf16_to_f32(uint16_t h);
uint16_t fg_f32_to_f16(float f);   /* round to nearest even */
uint16_t fg_f32_to_bf16(float f);  /* round to nearest even */

#ifdef __cplusplus
}
#endif
#endif
