// The server's log line is defined below every library that logs.
#pragma once

#include "service/log/log.h"
