#pragma once
#include "genlab/nn/conv.hpp"
#include "genlab/nn/init.hpp"
#include "genlab/nn/layers.hpp"
#include "genlab/nn/module.hpp"
#include "genlab/nn/norm.hpp"
#include "genlab/nn/rnn.hpp"
