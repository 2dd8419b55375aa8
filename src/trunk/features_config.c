/* Config tables of the node and edge feature nets: upstream key names, the
 * upstream default preset's values as defaults, and the checks that the field
 * ranges cannot express (even widths, pair_dim = c_p, duplicated model dims). */
#include <stdio.h>

#include "framegen/config_json.h"
#include "framegen/embed.h"
#include "framegen/features.h"

#define NF_ fg_node_features_params
const fg_field fg_node_features_fields[] = {
    FG_FIELD_INT_(NF_, c_s, 256, 1, 65536, "output node width (model node_embed_size)"),
    FG_FIELD_INT_(NF_, c_pos_emb, 128, 2, 65536, "index/chain/torsion/method/stochasticity embedding width"),
    FG_FIELD_INT_(NF_, c_timestep_emb, 128, 4, 65536, "time embedding width"),
    FG_FIELD_INT_(NF_, aatype_pred_num_tokens, 21, 1, 1024, "width of the self-conditioning logits"),
    FG_FIELD_ENUM_(NF_, pos_embed_method, FG_POS_EMBED_ROTARY, fg_pos_embed_names,
                   "index embedding: rotary or sine_cosine"),
    FG_FIELD_INT_(NF_, pos_embed_max_len, 2048, 1, 1000000000, "L of the index embedding"),
    FG_FIELD_BOOL_(NF_, embed_chain, 1, "embed chain_idx"),
    FG_FIELD_BOOL_(NF_, embed_aatype, 1, "embed aatypes, cat_t and aatypes_sc"),
    FG_FIELD_BOOL_(NF_, embed_torsions, 1, "embed the 7 torsions"),
    FG_FIELD_BOOL_(NF_, embed_structural_method, 1, "embed the experimental method"),
    FG_FIELD_BOOL_(NF_, embed_stochasticity_scales, 1, "embed the 4 stochasticity scales"),
    FG_FIELD_BOOL_(NF_, embed_hotspots, 1, "hot-spot indicator"),
    FG_FIELD_BOOL_(NF_, use_mlp, 1, "MLP (else one linear layer)"),
};
const size_t fg_node_features_n_fields = sizeof fg_node_features_fields / sizeof fg_node_features_fields[0];
#undef NF_

#define EF_ fg_edge_features_params
const fg_field fg_edge_features_fields[] = {
    FG_FIELD_INT_(EF_, c_s, 256, 1, 65536, "input node width (model node_embed_size)"),
    FG_FIELD_INT_(EF_, c_p, 128, 1, 65536, "output edge width (model edge_embed_size)"),
    FG_FIELD_INT_(EF_, feat_dim, 64, 2, 65536, "node projection / relpos width"),
    FG_FIELD_INT_(EF_, num_bins, 22, 2, 4096, "distogram bins"),
    FG_FIELD_ENUM_(EF_, pos_embed_method, FG_POS_EMBED_ROTARY, fg_pos_embed_names,
                   "relative-position embedding: rotary or sine_cosine"),
    FG_FIELD_INT_(EF_, pos_embed_max_len, 2048, 1, 1000000000, "L of the relpos embedding"),
    FG_FIELD_BOOL_(EF_, embed_self_condition, 1, "self-conditioning (sampler switch)"),
    FG_FIELD_BOOL_(EF_, embed_chain, 1, "same-chain indicator"),
    FG_FIELD_BOOL_(EF_, embed_diffuse_mask, 1, "diffuse-mask pair"),
};
const size_t fg_edge_features_n_fields = sizeof fg_edge_features_fields / sizeof fg_edge_features_fields[0];
#undef EF_

#define CC_ fg_contact_conditioning_params
const fg_field fg_contact_conditioning_fields[] = {
    FG_FIELD_BOOL_(CC_, enabled, 1, "add the contact-map embedding to every pair"),
    FG_FIELD_INT_(CC_, pair_dim, 128, 1, 65536, "output width (= c_p)"),
    FG_FIELD_INT_(CC_, fourier_dim, 16, 1, 65536, "Fourier features"),
    FG_FIELD_FLOAT_(CC_, dist_min, 4.0, 0.0, 1e6, "Angstrom mapped to 0"),
    FG_FIELD_FLOAT_(CC_, dist_max, 20.0, 0.0, 1e6, "Angstrom mapped to 1"),
};
const size_t fg_contact_conditioning_n_fields =
    sizeof fg_contact_conditioning_fields / sizeof fg_contact_conditioning_fields[0];
#undef CC_

void fg_node_features_defaults(fg_node_features_params *p)
{
    fg_fields_defaults(fg_node_features_fields, fg_node_features_n_fields, p);
}

void fg_edge_features_defaults(fg_edge_features_params *p)
{
    fg_fields_defaults(fg_edge_features_fields, fg_edge_features_n_fields, p);
    fg_fields_defaults(fg_contact_conditioning_fields, fg_contact_conditioning_n_fields,
                       &p->contact_conditioning);
}

static const char *or_root(const char *path) { return path && path[0] ? path : "(root)"; }

fg_status fg_node_features_validate(const fg_node_features_params *p, const char *path, fg_error *err)
{
    if (p->c_pos_emb % 2)
        return fg_error_set(err, FG_ERR_CONFIG, "%s.c_pos_emb: must be even, got %d", or_root(path),
                            p->c_pos_emb);
    if (p->c_timestep_emb < 4)
        return fg_error_set(err, FG_ERR_CONFIG, "%s.c_timestep_emb: must be at least 4, got %d",
                            or_root(path), p->c_timestep_emb);
    if (p->pos_embed_method != FG_POS_EMBED_ROTARY && p->pos_embed_method != FG_POS_EMBED_SINE_COSINE)
        return fg_error_set(err, FG_ERR_CONFIG, "%s.pos_embed_method: unknown method %d", or_root(path),
                            p->pos_embed_method);
    if (p->c_s < 1 || p->aatype_pred_num_tokens < 1 || p->pos_embed_max_len < 1)
        return fg_error_set(err, FG_ERR_CONFIG, "%s: c_s, aatype_pred_num_tokens and pos_embed_max_len "
                            "must be positive", or_root(path));
    return FG_OK;
}

fg_status fg_edge_features_validate(const fg_edge_features_params *p, const char *path, fg_error *err)
{
    const fg_contact_conditioning_params *cc = &p->contact_conditioning;
    if (p->feat_dim < 2 || p->feat_dim % 2)
        return fg_error_set(err, FG_ERR_CONFIG, "%s.feat_dim: must be even and positive, got %d",
                            or_root(path), p->feat_dim);
    if (p->num_bins < 2)
        return fg_error_set(err, FG_ERR_CONFIG, "%s.num_bins: must be at least 2, got %d", or_root(path),
                            p->num_bins);
    if (p->pos_embed_method != FG_POS_EMBED_ROTARY && p->pos_embed_method != FG_POS_EMBED_SINE_COSINE)
        return fg_error_set(err, FG_ERR_CONFIG, "%s.pos_embed_method: unknown method %d", or_root(path),
                            p->pos_embed_method);
    if (p->c_s < 1 || p->c_p < 1 || p->pos_embed_max_len < 1)
        return fg_error_set(err, FG_ERR_CONFIG, "%s: c_s, c_p and pos_embed_max_len must be positive",
                            or_root(path));
    if (!cc->enabled)
        return FG_OK;
    /* The conditioning term is added to the edge features, so widths must agree. */
    if (cc->pair_dim != p->c_p)
        return fg_error_set(err, FG_ERR_CONFIG,
                            "%s.contact_conditioning.pair_dim: %d does not match c_p %d", or_root(path),
                            cc->pair_dim, p->c_p);
    if (cc->fourier_dim < 1)
        return fg_error_set(err, FG_ERR_CONFIG, "%s.contact_conditioning.fourier_dim: must be positive",
                            or_root(path));
    if (!(cc->dist_max > cc->dist_min))
        return fg_error_set(err, FG_ERR_CONFIG,
                            "%s.contact_conditioning: dist_max %g must exceed dist_min %g", or_root(path),
                            cc->dist_max, cc->dist_min);
    return FG_OK;
}

fg_status fg_node_features_read(const struct cJSON *obj, const char *path, fg_node_features_params *p,
                                fg_error *err)
{
    fg_status st = fg_json_read_fields(obj, path, fg_node_features_fields, fg_node_features_n_fields, NULL,
                                       p, err);
    return st != FG_OK ? st : fg_node_features_validate(p, path, err);
}

fg_status fg_edge_features_read(const struct cJSON *obj, const char *path, fg_edge_features_params *p,
                                fg_error *err)
{
    static const char *const extra[] = {"contact_conditioning", NULL};
    fg_status st = fg_json_read_fields(obj, path, fg_edge_features_fields, fg_edge_features_n_fields, extra,
                                       p, err);
    if (st != FG_OK)
        return st;
    char kp[512];
    fg_json_path_key(kp, sizeof kp, path, "contact_conditioning");
    const cJSON *cc = cJSON_GetObjectItemCaseSensitive(obj, "contact_conditioning");
    if (cc)
        st = fg_json_read_fields(cc, kp, fg_contact_conditioning_fields, fg_contact_conditioning_n_fields,
                                 NULL, &p->contact_conditioning, err);
    else
        fg_fields_defaults(fg_contact_conditioning_fields, fg_contact_conditioning_n_fields,
                           &p->contact_conditioning);
    return st != FG_OK ? st : fg_edge_features_validate(p, path, err);
}

fg_status fg_features_check_dims(const fg_node_features_params *node, const fg_edge_features_params *edge,
                                 int c_s, int c_z, const char *path, fg_error *err)
{
    const char *pp = or_root(path);
    if (node && node->c_s != c_s)
        return fg_error_set(err, FG_ERR_CONFIG, "%s.node_features.c_s: %d does not match the model's node "
                            "width %d", pp, node->c_s, c_s);
    if (edge && edge->c_s != c_s)
        return fg_error_set(err, FG_ERR_CONFIG, "%s.edge_features.c_s: %d does not match the model's node "
                            "width %d", pp, edge->c_s, c_s);
    if (edge && edge->c_p != c_z)
        return fg_error_set(err, FG_ERR_CONFIG, "%s.edge_features.c_p: %d does not match the model's edge "
                            "width %d", pp, edge->c_p, c_z);
    return FG_OK;
}

int fg_node_features_in_dim(const fg_node_features_params *p)
{
    int d = p->c_pos_emb + 1 + 2 * p->c_timestep_emb;
    if (p->embed_aatype)
        d += p->c_s + p->c_timestep_emb + p->aatype_pred_num_tokens;
    d += p->c_pos_emb * (p->embed_chain + p->embed_torsions + p->embed_structural_method +
                         p->embed_stochasticity_scales);
    return d + p->embed_hotspots;
}

int fg_edge_features_in_dim(const fg_edge_features_params *p)
{
    return 3 * p->feat_dim + 2 * p->num_bins + p->embed_chain + 2 * p->embed_diffuse_mask;
}
