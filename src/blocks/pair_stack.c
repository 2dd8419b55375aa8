/* The edge stack of a Pairformer layer: z += tri_mul_out(z); z += tri_mul_in(z);
 * z += tri_att_start(z); z += tri_att_end(z); z += transition(z). Dropout is
 * inactive at inference. */
#include "blocks/pairformer_modules.h"

fg_status fg_pair_stack_init(fg_pair_stack *p, fg_wload *l, int c_z, const fg_pairformer_params *hp,
                             const char *transition_name)
{
    fg_tri_mul_init(&p->mul_out, l, "tri_mul_out", c_z, true);
    fg_tri_mul_init(&p->mul_in, l, "tri_mul_in", c_z, false);
    fg_tri_att_init(&p->att_start, l, "tri_att_start", c_z, hp->pairwise_num_heads,
                    hp->pairwise_head_width, true);
    fg_tri_att_init(&p->att_end, l, "tri_att_end", c_z, hp->pairwise_num_heads, hp->pairwise_head_width,
                    false);
    fg_transition_init(&p->trans, l, transition_name, c_z, hp->transition_expansion * c_z);
    p->mul_out.block_rows = p->mul_in.block_rows = hp->chunk_size_tri_mul;
    p->att_start.query_block = p->att_end.query_block = hp->chunk_size_tri_attn;
    return l->st;
}

fg_status fg_pair_stack_forward(const fg_pair_stack *p, float *z, const float *edge_mask, int n,
                                fg_arena *a, fg_error *err)
{
    fg_status st = fg_tri_mul_forward(&p->mul_out, z, edge_mask, n, z, true, a, err);
    if (st == FG_OK)
        st = fg_tri_mul_forward(&p->mul_in, z, edge_mask, n, z, true, a, err);
    if (st == FG_OK)
        st = fg_tri_att_forward(&p->att_start, z, edge_mask, n, z, true, a, err);
    if (st == FG_OK)
        st = fg_tri_att_forward(&p->att_end, z, edge_mask, n, z, true, a, err);
    if (st == FG_OK)
        st = fg_transition_forward(&p->trans, z, (int64_t)n * n, z, true, a, err);
    return st;
}

double fg_pair_stack_flops(const fg_pair_stack *p, int n)
{
    return fg_tri_mul_flops(&p->mul_out, n) + fg_tri_mul_flops(&p->mul_in, n) +
           fg_tri_att_flops(&p->att_start, n) + fg_tri_att_flops(&p->att_end, n) +
           fg_transition_flops(&p->trans, (int64_t)n * n);
}

void fg_pair_stack_free(fg_pair_stack *p)
{
    fg_tri_mul_free(&p->mul_out);
    fg_tri_mul_free(&p->mul_in);
    fg_tri_att_free(&p->att_start);
    fg_tri_att_free(&p->att_end);
    fg_transition_free(&p->trans);
}
