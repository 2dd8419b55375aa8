// The gemmi bridge: PDB / mmCIF text <-> fg_structure. The only C++ file of
// structure IO; file access, gzip, validation and atomic writes are on the C
// side. No exception leaves this file: every entry point converts them to an
// fg_error naming the file.

// Debian ships gemmi header-only: exactly one translation unit must compile
// the writers (and the bundled printf), and this is it.
#define GEMMI_WRITE_IMPLEMENTATION
// Debian removed gemmi's bundled stb_sprintf.h and gemmi #warns that it uses
// the system one (libstb-dev), which is what we want; GCC 12 cannot silence a
// #warning by pragma in C++, so CMakeLists.txt adds -Wno-cpp for this file.
#include <gemmi/cif.hpp>
#include <gemmi/mmcif.hpp>
#include <gemmi/model.hpp>
#include <gemmi/modify.hpp>
#include <gemmi/pdb.hpp>
#include <gemmi/resinfo.hpp>
#include <gemmi/to_cif.hpp>
#include <gemmi/to_mmcif.hpp>
#include <gemmi/to_pdb.hpp>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "structure_gemmi.h"

namespace {

const char *const kBackboneNames[FG_BB_ATOMS] = {"N", "CA", "C", "O"};
const gemmi::El kBackboneElements[FG_BB_ATOMS] = {gemmi::El::N, gemmi::El::C, gemmi::El::C,
                                                  gemmi::El::O};

// gemmi's messages may span lines and quote raw file bytes; ours are one
// printable line.
std::string one_line(const std::string &s)
{
    std::string out;
    for (char c : s) {
        unsigned char u = (unsigned char)c;
        if (u == '\n' || u == '\r' || u == '\t')
            c = ' ';
        else if (u < 0x20 || u >= 0x7f)
            c = '?';
        if (c == ' ' && (out.empty() || out.back() == ' '))
            continue;
        out += c;
    }
    while (!out.empty() && out.back() == ' ')
        out.pop_back();
    return out;
}

// "name: message", unless gemmi already started the message with the name.
fg_status fail_with(fg_error *err, fg_status st, const char *name, const std::string &what)
{
    std::string msg = one_line(what);
    if (msg.compare(0, std::strlen(name), name) == 0)
        return fg_error_set(err, st, "%s", msg.c_str());
    return fg_error_set(err, st, "%s: %s", name, msg.c_str());
}

bool is_protein_residue(const gemmi::Residue &r)
{
    if (r.entity_type == gemmi::EntityType::Water ||
        r.entity_type == gemmi::EntityType::NonPolymer ||
        r.entity_type == gemmi::EntityType::Branched)
        return false;
    gemmi::ResidueInfo info = gemmi::find_tabulated_residue(r.name);
    if (info.found())
        return info.is_amino_acid();
    // Modified residues missing from gemmi's table: peptide-linked if they have a CA.
    for (const gemmi::Atom &a : r.atoms)
        if (a.name == "CA")
            return true;
    return false;
}

struct KeptChain {
    const gemmi::Chain *chain;
    std::vector<const gemmi::Residue *> residues;
};

// Protein residues of each chain; the first residue of a sequence number wins
// (microheterogeneity), chains with none are dropped.
std::vector<KeptChain> select_protein(const gemmi::Model &model)
{
    std::vector<KeptChain> kept;
    for (const gemmi::Chain &ch : model.chains) {
        KeptChain k{&ch, {}};
        std::set<gemmi::SeqId> seen;
        for (const gemmi::Residue &r : ch.residues)
            if (is_protein_residue(r) && seen.insert(r.seqid).second)
                k.residues.push_back(&r);
        if (!k.residues.empty())
            kept.push_back(std::move(k));
    }
    return kept;
}

// Residue i of ch from r: first atom of each backbone name (first altloc).
fg_status fill_residue(fg_chain *ch, int i, const gemmi::Residue &r, const char *name,
                       fg_error *err)
{
    std::snprintf(ch->resname + (size_t)i * FG_RESNAME_MAX, FG_RESNAME_MAX, "%s", r.name.c_str());
    ch->seq[i] = fg_aa_one_letter(r.name.c_str());
    ch->resnum[i] = *r.seqid.num;
    ch->icode[i] = r.seqid.has_icode() ? r.seqid.icode : ' ';
    const gemmi::Atom *found[FG_BB_ATOMS] = {nullptr, nullptr, nullptr, nullptr};
    for (const gemmi::Atom &a : r.atoms)
        for (int k = 0; k < FG_BB_ATOMS; k++)
            if (!found[k] && a.name == kBackboneNames[k])
                found[k] = &a;
    for (int k = 0; k < FG_BB_ATOMS; k++) {
        if (!found[k])
            continue;
        const gemmi::Position &p = found[k]->pos;
        if (!std::isfinite(p.x) || !std::isfinite(p.y) || !std::isfinite(p.z))
            return fg_error_set(err, FG_ERR_FORMAT,
                                "%s: non-finite coordinate of atom %s, chain %s residue %d",
                                name, kBackboneNames[k], ch->id, ch->resnum[i]);
        float *xyz = ch->xyz + ((size_t)i * FG_BB_ATOMS + k) * 3; /* [3] */
        xyz[0] = (float)p.x;
        xyz[1] = (float)p.y;
        xyz[2] = (float)p.z;
        ch->mask[(size_t)i * FG_BB_ATOMS + k] = 1;
    }
    const gemmi::Atom *bsrc = found[FG_BB_CA];
    for (int k = 0; k < FG_BB_ATOMS && !bsrc; k++)
        bsrc = found[k];
    ch->bfactor[i] = bsrc ? bsrc->b_iso : 0.0f;
    return FG_OK;
}

fg_status to_structure(const gemmi::Structure &st, int model, const char *name,
                       fg_structure **out, fg_error *err)
{
    size_t n_atoms = 0;
    if (!st.models.empty())
        for (const gemmi::Chain &ch : st.models[0].chains)
            for (const gemmi::Residue &r : ch.residues)
                n_atoms += r.atoms.size();
    if (n_atoms == 0)
        return fg_error_set(err, FG_ERR_FORMAT,
                            "%s: no atoms (empty, not a PDB/mmCIF file, or truncated)", name);
    if (model < 0 || (size_t)model >= st.models.size())
        return fg_error_set(err, FG_ERR_INVALID, "%s: model %d asked for, the file has %zu",
                            name, model + 1, st.models.size());
    std::vector<KeptChain> kept = select_protein(st.models[(size_t)model]);
    if (kept.empty())
        return fg_error_set(err, FG_ERR_FORMAT, "%s: no protein chains (%zu atoms, none in "
                            "amino-acid residues)", name, n_atoms);
    std::vector<int> lens;
    for (const KeptChain &k : kept) {
        if (k.chain->name.size() >= FG_CHAIN_ID_MAX)
            return fg_error_set(err, FG_ERR_FORMAT, "%s: chain id '%s' longer than %d characters",
                                name, k.chain->name.c_str(), FG_CHAIN_ID_MAX - 1);
        lens.push_back((int)k.residues.size());
    }
    fg_structure *s = nullptr;
    fg_status rc = fg_structure_create((int)kept.size(), lens.data(), &s, err);
    for (size_t c = 0; rc == FG_OK && c < kept.size(); c++) {
        fg_chain *ch = &s->chains[c];
        std::snprintf(ch->id, sizeof ch->id, "%s", kept[c].chain->name.c_str());
        rc = fg_chain_alloc_bfactor(ch, err);
        for (int i = 0; rc == FG_OK && i < ch->len; i++)
            rc = fill_residue(ch, i, *kept[c].residues[i], name, err);
    }
    if (rc != FG_OK) {
        fg_structure_free(s);
        return rc;
    }
    *out = s;
    return FG_OK;
}

// Coordinates at the files' 0.001 A precision and B-factors at 0.01, so mmCIF
// (which prints shortest round-trip decimals) shows 12.345, not 12.3450003.
double round_to(double v, double scale) { return std::round(v * scale) / scale; }

gemmi::Residue make_residue(const fg_chain *ch, int i)
{
    gemmi::Residue r;
    r.name = ch->resname + (size_t)i * FG_RESNAME_MAX;
    r.seqid = gemmi::SeqId(ch->resnum[i], ch->icode[i]);
    r.subchain = ch->id;
    r.label_seq = i + 1;
    r.entity_type = gemmi::EntityType::Polymer;
    r.het_flag = gemmi::find_tabulated_residue(r.name).is_standard() ? 'A' : 'H';
    float b = ch->bfactor ? ch->bfactor[i] : 0.0f;
    for (int k = 0; k < FG_BB_ATOMS; k++) {
        if (!ch->mask[(size_t)i * FG_BB_ATOMS + k])
            continue;
        const float *xyz = ch->xyz + ((size_t)i * FG_BB_ATOMS + k) * 3; /* [3] */
        gemmi::Atom a;
        a.name = kBackboneNames[k];
        a.element = gemmi::Element(kBackboneElements[k]);
        a.pos = gemmi::Position(round_to(xyz[0], 1e3), round_to(xyz[1], 1e3),
                                round_to(xyz[2], 1e3));
        a.occ = 1.0f;
        a.b_iso = (float)round_to(b, 1e2);
        r.atoms.push_back(a);
    }
    return r;
}

gemmi::Structure to_gemmi(const fg_structure *const *models, int n_models, const char *name)
{
    gemmi::Structure st;
    st.name = name;
    const fg_structure *first = models[0];
    for (int c = 0; c < first->n_chains; c++) {
        gemmi::Entity ent(std::to_string(c + 1));
        ent.entity_type = gemmi::EntityType::Polymer;
        ent.polymer_type = gemmi::PolymerType::PeptideL;
        ent.subchains.push_back(first->chains[c].id);
        st.entities.push_back(ent);
    }
    for (int m = 0; m < n_models; m++) {
        gemmi::Model model(std::to_string(m + 1));
        for (int c = 0; c < models[m]->n_chains; c++) {
            const fg_chain *ch = &models[m]->chains[c];
            gemmi::Chain chain(ch->id);
            for (int i = 0; i < ch->len; i++)
                chain.residues.push_back(make_residue(ch, i));
            model.chains.push_back(std::move(chain));
        }
        gemmi::assign_serial_numbers(model);
        st.models.push_back(std::move(model));
    }
    return st;
}

std::string render(const gemmi::Structure &st, fg_struct_format fmt)
{
    std::ostringstream os;
    if (fmt == FG_STRUCT_PDB) {
        gemmi::PdbWriteOptions opt;
        opt.seqres_records = false;
        opt.ssbond_records = false;
        opt.cryst1_record = false;
        opt.link_records = false;
        opt.cispep_records = false;
        gemmi::write_pdb(st, os, opt);
    } else {
        gemmi::MmcifOutputGroups groups(false);
        groups.atoms = groups.block_name = groups.entry = groups.entity = true;
        groups.struct_asym = groups.atom_type = groups.group_pdb = true;
        gemmi::cif::write_cif_to_stream(os, gemmi::make_mmcif_document(st, groups),
                                        gemmi::cif::Style::Pdbx);
    }
    return os.str();
}

gemmi::Structure parse(const char *data, size_t len, const char *name, fg_struct_format fmt)
{
    if (fmt == FG_STRUCT_PDB)
        return gemmi::read_pdb_from_memory(data, len, name);
    return gemmi::make_structure(gemmi::cif::read_memory(data, len, name));
}

// Runs f, turning whatever it throws into an fg_error of status `kind`.
template <class F>
fg_status guarded(fg_error *err, fg_status kind, const char *name, const char *doing, F &&f)
{
    try {
        return f();
    } catch (const std::bad_alloc &) {
        return fg_error_set(err, FG_ERR_NOMEM, "%s: out of memory while %s", name, doing);
    } catch (const std::exception &e) {
        return fail_with(err, kind, name, e.what());
    } catch (...) {
        return fg_error_set(err, kind, "%s: unknown error while %s", name, doing);
    }
}

} // namespace

extern "C" fg_status fg_gemmi_parse(const char *data, size_t len, const char *name,
                                    fg_struct_format fmt, int model, fg_structure **out,
                                    int *n_models, fg_error *err)
{
    return guarded(err, FG_ERR_FORMAT, name, "parsing", [&]() {
        gemmi::Structure st = parse(data, len, name, fmt);
        if (n_models)
            *n_models = (int)st.models.size();
        return to_structure(st, model, name, out, err);
    });
}

extern "C" fg_status fg_gemmi_render(const fg_structure *const *models, int n_models,
                                     fg_struct_format fmt, const char *name, char **text,
                                     size_t *len, fg_error *err)
{
    return guarded(err, FG_ERR_INVALID, name, "formatting", [&]() {
        std::string s = render(to_gemmi(models, n_models, "framegen"), fmt);
        char *buf = (char *)std::malloc(s.size() + 1);
        if (!buf)
            return fg_error_set(err, FG_ERR_NOMEM, "%s: out of memory", name);
        std::memcpy(buf, s.c_str(), s.size() + 1);
        *text = buf;
        *len = s.size();
        return FG_OK;
    });
}
