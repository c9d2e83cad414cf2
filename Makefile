# PGXS build of the rushdb extension (C++17), plus project targets.
#
#   make / make install      build and install rushdb.so and the SQL script
#   make installcheck        pg_regress suite against a running server
#                            (PGHOST/PGPORT/PGUSER select it)
#   make unit                GoogleTest suite for src/core (via CMake)
#   make bench-kernels       Google Benchmark of the distance kernels
#   make fuzz-parser         libFuzzer run of the vector text parser
#   make fuzz-where          libFuzzer run of the JSON parser + where compiler
#
# The one-command entry points for newcomers are scripts/demo.sh and
# scripts/test.sh (see README.md).

EXTENSION   = rushdb
EXTVERSION  = 0.1.0
MODULE_big  = rushdb

CORE_SRCS   = $(sort $(wildcard src/core/*/*.cpp))
PG_SRCS     = $(sort $(wildcard src/pg/*.cpp))
OBJS        = $(CORE_SRCS:.cpp=.o) $(PG_SRCS:.cpp=.o)

# The install script is assembled from one file per concern, in name order.
INSTALL_PARTS = $(sort $(wildcard sql/install/*.sql))
DATA_built  = build/pgxs/$(EXTENSION)--$(EXTVERSION).sql

# pg_regress: every sql/<name>.sql with an expected/<name>.out, in name order.
REGRESS     = $(sort $(basename $(notdir $(wildcard sql/*.sql))))
REGRESS_OPTS = --inputdir=. --outputdir=build/regress --load-extension=$(EXTENSION)

PG_CONFIG  ?= pg_config
# Debian's server is built with LLVM; bitcode for JIT inlining of C++ is not
# wanted (and would require clang at install time).
override with_llvm = no

PG_CPPFLAGS = -Isrc/core -Isrc/pg
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
src/core/distance/kernels_avx2.o:   CXXFLAGS += -mavx2 -mfma
src/core/distance/kernels_avx512.o: CXXFLAGS += -mavx512f -mavx512dq -mfma
endif

# Header changes rebuild everything (the tree is small).
HEADERS = $(wildcard src/core/*/*.hpp src/pg/*.hpp)
$(OBJS): $(HEADERS)

$(DATA_built): $(INSTALL_PARTS)
	@mkdir -p $(dir $@)
	cat $(INSTALL_PARTS) > $@

installcheck: | build/regress
build/regress:
	@mkdir -p $@

EXTRA_CLEAN = build/pgxs build/regress

.PHONY: unit bench-kernels fuzz-parser fuzz-where cmake-build
cmake-build:
	cmake -S . -B build/cmake -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build build/cmake -j$$(nproc)

unit: cmake-build
	build/cmake/core_tests

bench-kernels: cmake-build
	build/cmake/bench_kernels --benchmark_min_time=0.2

FUZZ_SECONDS ?= 60
fuzz-parser:
	$(MAKE) -C test/fuzz run SECONDS=$(FUZZ_SECONDS)

fuzz-where:
	$(MAKE) -C test/fuzz run-where SECONDS=$(FUZZ_SECONDS)
