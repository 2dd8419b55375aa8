/* Frames <-> atoms beyond the fixture: the tabulated geometry of all 20 residue
 * types is chemically plausible (covers the types absent from the fixture),
 * frames round-trip through backbone atoms, the by-name atom37 layout, the
 * N/CA/C/O convenience against the full atom37 path, and bad input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "framegen/backbone.h"
#include "framegen/rigid.h"
#include "framegen/rng.h"
#include "framegen/so3.h"

static double dist(const float *a, const float *b)
{
    double s = 0;
    for (int k = 0; k < 3; k++)
        s += ((double)a[k] - b[k]) * ((double)a[k] - b[k]);
    return sqrt(s);
}

/* Every atom has a bonded-distance neighbour (1.2..1.9 A; C-S 1.81) and no two
 * atoms are closer than 1.1 A, for every residue type and random chi angles. */
static void test_plausible(fx_suite *s)
{
    fg_rng g;
    fg_rng_init(&g, 5, 0);
    const float eye[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1}, zero[3] = {0, 0, 0};
    for (int aa = 0; aa < FG_RESTYPE_NUM; aa++) {
        float tor[7 * 2], a14[14 * 3];
        for (int j = 0; j < 7; j++) {
            double ang = 2 * M_PI * fg_rng_uniform(&g);
            tor[j * 2] = (float)sin(ang), tor[j * 2 + 1] = (float)cos(ang);
        }
        int64_t t = aa;
        fg_error err = {0};
        fg_atom14_from_frames(1, eye, zero, tor, 7, &t, a14, &err);
        uint8_t m14[14];
        fg_atom14_mask(aa, m14);
        int ok = 1, natoms = 0;
        for (int i = 0; i < 14; i++) {
            if (!m14[i])
                continue;
            natoms++;
            double nearest = 1e9;
            for (int j = 0; j < 14; j++)
                if (j != i && m14[j])
                    nearest = fmin(nearest, dist(a14 + i * 3, a14 + j * 3));
            ok &= nearest > 1.1 && nearest < 1.9;
        }
        uint8_t m37[37];
        fg_atom37_mask(aa, m37);
        int n37 = 0;
        for (int i = 0; i < 37; i++)
            n37 += m37[i];
        fx_ok(s, ok && natoms == n37, "%s: %d atoms, bonded distances plausible", fg_restype_name3(aa),
              natoms);
    }
}

/* Frames from the ideal backbone atoms give back the frames they were built from. */
static void test_frame_roundtrip(fx_suite *s)
{
    enum { N = 30 };
    fg_rng g;
    fg_rng_init(&g, 6, 0);
    float r[N * 9], t[N * 3], bb[N * 4 * 3];
    int64_t aa[N];
    fg_so3_random_n(&g, N, r);
    for (int i = 0; i < N; i++) {
        aa[i] = i % 21;
        for (int k = 0; k < 3; k++)
            t[i * 3 + k] = 20.0f * (float)fg_rng_normal(&g);
    }
    fg_error err = {0};
    fg_backbone_from_frames(N, r, t, aa, NULL, bb, &err);
    double worst = 0;
    for (int i = 0; i < N; i++) {
        float rr[9], tt[3];
        const float *a = bb + i * 12; /* N, CA, C, O */
        fg_frame_from_backbone(a, a + 3, a + 6, rr, tt);
        for (int k = 0; k < 9; k++)
            worst = fmax(worst, fabs(rr[k] - r[i * 9 + k]));
        for (int k = 0; k < 3; k++)
            worst = fmax(worst, fabs(tt[k] - t[i * 3 + k]) / 20.0);
    }
    fx_ok(s, worst < 1e-5, "frame -> N, CA, C -> frame round trip: max err %.2e", worst);
}

/* fg_backbone_from_frames equals the N, CA, C, O rows of fg_atom37_from_frames;
 * the re-placed O sits 1.23 A from C. */
static void test_backbone_twin(fx_suite *s)
{
    enum { N = 25 };
    fg_rng g;
    fg_rng_init(&g, 7, 0);
    float r[N * 9], t[N * 3], bb[N * 12], mask[N], *a37 = malloc(N * 37 * 3 * sizeof(float));
    int64_t aa[N];
    fg_so3_random_n(&g, N, r);
    for (int i = 0; i < N; i++) {
        aa[i] = (i * 7) % 21;
        mask[i] = i % 6 == 3 ? 0.0f : 1.0f;
        for (int k = 0; k < 3; k++)
            t[i * 3 + k] = 3.8f * i * (k == 0) + (float)fg_rng_normal(&g);
    }
    fg_error err = {0};
    int ok = fg_backbone_from_frames(N, r, t, aa, mask, bb, &err) == FG_OK &&
             fg_atom37_from_frames(N, r, t, NULL, 0, aa, mask, a37, &err) == FG_OK;
    static const int slot[4] = {FG_A37_N, FG_A37_CA, FG_A37_C, FG_A37_O};
    double worst = 0, bond = 0;
    for (int i = 0; i < N; i++) {
        for (int a = 0; a < 4; a++)
            worst = fmax(worst, dist(bb + (i * 4 + a) * 3, a37 + (i * 37 + slot[a]) * 3));
        bond = fmax(bond, fabs(dist(bb + i * 12 + 9, bb + i * 12 + 6) - FG_OXYGEN_BOND));
    }
    fx_ok(s, ok && worst == 0, "backbone_from_frames = atom37 N, CA, C, O (max diff %.2e)", worst);
    fx_ok(s, bond < 1e-5, "C=O placed at 1.23 A (max dev %.2e)", bond);
    free(a37);
}

/* By-name scatter: each atom14 slot lands at its atom37 name. */
static void test_by_name(fx_suite *s)
{
    const float eye[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1}, zero[3] = {0, 0, 0};
    int ok = 1;
    for (int aa = 0; aa <= FG_RESTYPE_UNK; aa++) {
        float a14[14 * 3], a37[37 * 3];
        int64_t t = aa;
        fg_error err = {0};
        fg_atom14_from_frames(1, eye, zero, NULL, 0, &t, a14, &err);
        fg_atom14_to_atom37(1, a14, &t, a37);
        for (int j = 0; j < 14; j++) {
            int k = fg_atom14_to_atom37_index(aa, j);
            if (k >= 0)
                ok &= !memcmp(a14 + j * 3, a37 + k * 3, 3 * sizeof(float));
        }
    }
    fx_ok(s, ok, "atom14 -> atom37 by name for all 21 types");
    fx_ok(s, fg_atom14_to_atom37_index(17, 13) == FG_A37_CH2 && !strcmp(fg_atom37_name(FG_A37_CH2), "CH2") &&
                 fg_atom14_to_atom37_index(7, 4) == -1 && fg_atom14_to_atom37_index(0, 4) == FG_A37_CB,
          "atom14 slot names (TRP CH2, GLY no CB, ALA CB)");
    fx_ok(s, fg_restype_from_letter('w') == 17 && fg_restype_from_letter('B') == FG_RESTYPE_UNK &&
                 fg_restype_from_name3("VAL") == 19 && fg_restype_letter(20) == 'X' &&
                 !strcmp(fg_restype_name3(20), "UNK"),
          "residue type names and letters");
}

static void test_bad_input(fx_suite *s)
{
    const float eye[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1}, zero[3] = {0, 0, 0}, tor[6] = {0};
    float a14[14 * 3], bb[12];
    int64_t bad = 21, ok_aa = 3;
    fg_error err = {0};
    fx_ok(s, fg_atom14_from_frames(1, eye, zero, NULL, 0, &bad, a14, &err) == FG_ERR_INVALID,
          "aatype 21 rejected: %s", err.msg);
    fx_ok(s, fg_atom14_from_frames(1, eye, zero, tor, 3, &ok_aa, a14, &err) == FG_ERR_INVALID,
          "3 torsions per residue rejected: %s", err.msg);
    fx_ok(s, fg_backbone_from_frames(1, eye, zero, &bad, NULL, bb, &err) == FG_ERR_INVALID,
          "backbone_from_frames rejects aatype 21: %s", err.msg);
}

int main(void)
{
    fx_suite s = {"backbone", 0, 0};
    test_plausible(&s);
    test_frame_roundtrip(&s);
    test_backbone_twin(&s);
    test_by_name(&s);
    test_bad_input(&s);
    return fx_suite_finish(&s);
}
