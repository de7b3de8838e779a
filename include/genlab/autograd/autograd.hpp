#pragma once
#include "genlab/autograd/gradcheck.hpp"
#include "genlab/autograd/node.hpp"
