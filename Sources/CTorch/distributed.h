// The handles of the distributed part of the shim (distributed.cpp, grad_sync.cpp).
#pragma once
#if !__has_include(<gloo/context.h>)
#error "gloo headers not found: run `make setup` (installs Debian's libgloo-dev)"
#endif
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO
#endif
#include "internal.h"

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

struct ct_store_s {
  c10::intrusive_ptr<c10d::TCPStore> store;
};
// A Gloo group (device CPU) or an NCCL group (device: its CUDA device, see nccl.cpp), used through c10d::Backend.
struct ct_process_group_s {
  c10::intrusive_ptr<c10d::Backend> group;
  std::chrono::milliseconds timeout;
  at::Device device;
};
