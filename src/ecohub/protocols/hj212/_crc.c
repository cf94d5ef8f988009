/* The HJ 212 data-segment CRC in C: the one part of the codec that is a loop over bytes.
 *
 * [S17] HJ 212-2017 Appendix A (and [S05] Appendix A): register 0xFFFF; for each byte,
 * reg = (reg >> 8) ^ byte, then eight shifts right, XOR-ing 0xA001 when the bit shifted out
 * is 1; no final XOR. After its first step the register is below 256, so the eight shifts are
 * one look-up in the table T of the reflected polynomial 0xA001: reg = T[(reg >> 8) ^ byte].
 *
 * Only the high byte h carries over: h_j = H(h_{j-1} ^ b_j) with H(x) = T[x] >> 8, and
 * h_{-1} = 0xFF. H is linear over GF(2)^8 and H^8 is the identity (checked at import), so after
 * the first m bytes h = H^(m mod 8)(0xFF) ^ XOR_j H^((m - j) mod 8)(b_j): the bytes whose
 * offsets are equal mod 8 pass through the same power of H, and by linearity their XOR can be
 * taken first. The bytes are XOR-ed eight at a time (no chain of dependent look-ups), then
 * eight look-ups finish: CRC = T[h ^ last byte].
 * Python: ecohub.protocols.hj212.checksum.crc, which formats the result.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

static uint16_t T[256];
static uint8_t H_POW[8][256]; /* H^k */

static unsigned int
crc16(const unsigned char *p, size_t n)
{
    if (n == 0) {
        return 0xFFFF;
    }
    size_t m = n - 1, i = 0;
    uint64_t word, lanes = 0;
    for (; i + 8 <= m; i += 8) {
        memcpy(&word, p + i, 8);
        lanes ^= word;
    }
    unsigned char lane[8] = {0};
    memcpy(lane, p + i, m - i);
    memcpy(&word, lane, 8);
    lanes ^= word;
    memcpy(lane, &lanes, 8); /* lane[r]: XOR of the bytes at offsets r mod 8 */
    unsigned int q = (unsigned int)(m & 7);
    unsigned int high = H_POW[q][0xFF];
    for (unsigned int r = 0; r < 8; r++) {
        high ^= H_POW[(q - r) & 7][lane[r]];
    }
    return T[high ^ p[m]];
}

static PyObject *
hj212_crc16(PyObject *module, PyObject *arg)
{
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    /* the GIL is kept: a frame takes well under a microsecond, less than handing it over */
    unsigned int value = crc16((const unsigned char *)view.buf, (size_t)view.len);
    PyBuffer_Release(&view);
    return PyLong_FromUnsignedLong(value);
}

static PyMethodDef methods[] = {
    {"crc16", hj212_crc16, METH_O,
     "crc16(segment, /)\n--\n\nThe HJ 212 CRC of a bytes-like data segment, as an integer."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_crc", "The HJ 212 CRC ([S17] Appendix A) in C.", -1, methods,
};

PyMODINIT_FUNC
PyInit__crc(void)
{
    for (unsigned int byte = 0; byte < 256; byte++) {
        unsigned int reg = byte;
        for (int bit = 0; bit < 8; bit++) {
            reg = (reg & 1) ? (reg >> 1) ^ 0xA001 : reg >> 1;
        }
        T[byte] = (uint16_t)reg;
        H_POW[0][byte] = (uint8_t)byte;
    }
    for (int k = 1; k < 8; k++) {
        for (unsigned int x = 0; x < 256; x++) {
            H_POW[k][x] = (uint8_t)(T[H_POW[k - 1][x]] >> 8);
        }
    }
    for (unsigned int x = 0; x < 256; x++) {
        if ((T[H_POW[7][x]] >> 8) != x) { /* H^8 = I, a property of the 0xA001 table */
            PyErr_SetString(PyExc_RuntimeError, "HJ 212 CRC: H^8 is not the identity");
            return NULL;
        }
    }
    return PyModule_Create(&module);
}
