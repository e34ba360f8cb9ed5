// The only exception types that cross the plugin boundary. Plugin methods throw these (or
// let std::bad_alloc escape); the core maps them to HTTP answers and start-up failures.
#pragma once

#include <boost/config.hpp>
#include <stdexcept>
#include <string>

namespace visiongw::sdk {

// Base of every SDK exception: a failure the plugin could name.
class BOOST_SYMBOL_VISIBLE Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A dependency (broker, database, disk) does not answer now; retrying later may work. → 503.
class BOOST_SYMBOL_VISIBLE Unavailable : public Error {
public:
    using Error::Error;
};

// The storage backend has no room for the blob. → 507.
class BOOST_SYMBOL_VISIBLE StorageFull : public Error {
public:
    using Error::Error;
};

// A listing position (JobQuery::after) the job store did not hand out. → 400.
class BOOST_SYMBOL_VISIBLE InvalidCursor : public Error {
public:
    using Error::Error;
};

// The plugin's configuration is valid by its option table but unusable (a folder that cannot
// be created, a URL that does not parse). Stops start-up.
class BOOST_SYMBOL_VISIBLE ConfigError : public Error {
public:
    using Error::Error;
};

}  // namespace visiongw::sdk
