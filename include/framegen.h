/* framegen public API: include this one header. */
#ifndef FRAMEGEN_H
#define FRAMEGEN_H

#include "framegen/arena.h"
#include "framegen/block.h"
#include "framegen/embed.h"
#include "framegen/esm.h"
#include "framegen/esm_cache.h"
#include "framegen/esm_combiner.h"
#include "framegen/esm_frozen.h"
#include "framegen/esm_tokens.h"
#include "framegen/fasta.h"
#include "framegen/features.h"
#include "framegen/fields.h"
#include "framegen/fileio.h"
#include "framegen/ipa_trunk.h"
#include "framegen/ops.h"
#include "framegen/rng.h"
#include "framegen/safetensors.h"
#include "framegen/status.h"
#include "framegen/structure.h"
#include "framegen/tensor.h"
#include "framegen/torsion_head.h"
#include "framegen/trunk.h"
#include "framegen/weights.h"

#endif
