/* Calls the runtime's C ABI the way compiled code does, with 64-bit integers, doubles,
   pointers and pointer-sized counts, and prints what comes back. On ARMv7 this checks that
   i64 arguments go in register pairs, doubles in VFP registers (hard-float) and usize is 32
   bits: any mismatch between the runtime's Rust signatures and the C/LLVM view shows here. */
#include <stdint.h>
#include <string.h>

typedef struct { uint8_t tag; uint64_t bits; } Value;

void solvra_rt_init(const void *stack_base);
int32_t solvra_rt_finish(void);
void solvra_int(Value *out, int64_t i);
void solvra_float(Value *out, double f);
int32_t solvra_string_new(Value *out, const uint8_t *ptr, uintptr_t len);
int32_t solvra_add(Value *out, const Value *a, const Value *b);
int32_t solvra_div(Value *out, const Value *a, const Value *b);
int32_t solvra_array_new(Value *out, const Value *items, uintptr_t n);
void solvra_print_value(const Value *v, int32_t newline);
uintptr_t solvra_take_error_message(uint8_t *buf, uintptr_t cap);

int main(void) {
    int base;
    solvra_rt_init(&base);
    Value a, b, r, items[3];
    solvra_int(&a, 9007199254740993LL);          /* needs all 64 bits */
    solvra_int(&b, -9007199254740992LL);
    if (solvra_add(&r, &a, &b) != 0) return 2;
    solvra_print_value(&r, 1);                    /* 1 */
    solvra_float(&a, 0.1);
    solvra_float(&b, 0.2);
    if (solvra_add(&r, &a, &b) != 0) return 3;
    solvra_print_value(&r, 1);                    /* 0.30000000000000004 */
    solvra_int(&items[0], 1);
    solvra_float(&items[1], -2.5);
    const char *text = "héllo";
    if (solvra_string_new(&items[2], (const uint8_t *)text, strlen(text)) != 0) return 4;
    if (solvra_array_new(&r, items, 3) != 0) return 5;
    solvra_print_value(&r, 1);                    /* [1, -2.5, héllo] */
    solvra_int(&a, 1);
    solvra_int(&b, 0);
    if (solvra_div(&r, &a, &b) != 1) return 6;    /* a pending runtime error */
    uint8_t msg[64];
    uintptr_t n = solvra_take_error_message(msg, sizeof msg);
    if (solvra_string_new(&r, msg, n) != 0) return 7;
    solvra_print_value(&r, 1);                    /* division by zero */
    return solvra_rt_finish();
}
