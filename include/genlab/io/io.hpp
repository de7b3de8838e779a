#pragma once
#include "genlab/io/checkpoint.hpp"
#include "genlab/io/idx.hpp"
#include "genlab/io/safetensors.hpp"
#include "genlab/io/plot.hpp"
