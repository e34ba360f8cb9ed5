// The OpenAPI document the gateway serves against its route table: every route is documented
// with its method and every documented operation is a route, the router matches the document's
// path templates, and each operation's security and responses fit the route's access class.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "app/openapi_document.h"
#include "app/routes.h"
#include "json_object.h"

namespace visiongw::core {
namespace {

using Poco::JSON::Object;

const std::set<std::string> kOperationKeys{"get",     "put",  "post",  "delete",
                                           "options", "head", "patch", "trace"};

Object::Ptr served_document() {
    return testing::parse_object(std::string(kOpenApiDocument));
}

std::string lower(std::string text) {
    for (char& c : text)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

std::string upper(std::string text) {
    for (char& c : text)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return text;
}

// The object `node` stands for: itself, or what its local "$ref" ("#/components/...") names.
Object::Ptr resolve(const Object::Ptr& document, Object::Ptr node) {
    while (node && node->has("$ref")) {
        std::string ref = node->getValue<std::string>("$ref");
        EXPECT_EQ(ref.rfind("#/", 0), 0u) << ref;
        node = document;
        std::size_t start = 2;
        while (node && start <= ref.size()) {
            std::size_t end = std::min(ref.find('/', start), ref.size());
            node = node->getObject(ref.substr(start, end - start));
            start = end + 1;
        }
        EXPECT_TRUE(node) << "unresolved " << ref;
    }
    return node;
}

struct Operation {
    std::string method;  // upper case, as the router has it
    std::string path;
    Object::Ptr object;
};

std::vector<Operation> documented_operations(const Object::Ptr& document) {
    std::vector<Operation> operations;
    Object::Ptr paths = document->getObject("paths");
    for (const auto& path : paths->getNames()) {
        Object::Ptr item = paths->getObject(path);
        for (const auto& key : item->getNames()) {
            if (kOperationKeys.count(key))
                operations.push_back({upper(key), path, item->getObject(key)});
        }
    }
    return operations;
}

const RouteEntry* find_route(const std::string& method, const std::string& pattern) {
    for (const auto& entry : route_table()) {
        if (entry.method == method && entry.pattern == pattern)
            return &entry;
    }
    return nullptr;
}

// The {name} segments of a path template, in order.
std::vector<std::string> template_names(const std::string& path) {
    std::vector<std::string> names;
    for (std::size_t open = path.find('{'); open != std::string::npos;
         open = path.find('{', open + 1)) {
        std::size_t close = path.find('}', open);
        if (close == std::string::npos)
            break;
        names.push_back(path.substr(open + 1, close - open - 1));
    }
    return names;
}

// The names of the required path parameters an operation declares, on itself or its path item.
std::set<std::string> declared_path_parameters(const Object::Ptr& document,
                                               const Operation& operation) {
    std::set<std::string> names;
    Object::Ptr item = document->getObject("paths")->getObject(operation.path);
    for (const auto& holder : {item, operation.object}) {
        Poco::JSON::Array::Ptr parameters = holder->getArray("parameters");
        for (std::size_t i = 0; parameters && i < parameters->size(); ++i) {
            Object::Ptr parameter = resolve(document, parameters->getObject(i));
            if (parameter->getValue<std::string>("in") == "path") {
                EXPECT_TRUE(parameter->optValue("required", false))
                    << operation.path << " " << parameter->getValue<std::string>("name");
                names.insert(parameter->getValue<std::string>("name"));
            }
        }
    }
    return names;
}

TEST(OpenApiDocument, IsTheCompiledInSourceFile) {
    std::ifstream source(VISIONGW_OPENAPI_SOURCE, std::ios::binary);
    ASSERT_TRUE(source) << VISIONGW_OPENAPI_SOURCE;
    std::string text{std::istreambuf_iterator<char>(source), std::istreambuf_iterator<char>()};
    EXPECT_EQ(kOpenApiDocument, text);
}

TEST(OpenApiDocument, IsAnOpenApi3Document) {
    Object::Ptr document = served_document();
    ASSERT_TRUE(document);
    EXPECT_EQ(document->getValue<std::string>("openapi").rfind("3.", 0), 0u);
    ASSERT_TRUE(document->getObject("info"));
    EXPECT_FALSE(document->getObject("info")->getValue<std::string>("title").empty());
    EXPECT_FALSE(document->getObject("info")->getValue<std::string>("version").empty());
    ASSERT_TRUE(document->getObject("paths"));
    Object::Ptr schemes = document->getObject("components")->getObject("securitySchemes");
    ASSERT_TRUE(schemes);
    EXPECT_EQ(schemes->getObject("bearerAuth")->getValue<std::string>("scheme"), "bearer");
    EXPECT_EQ(schemes->getObject("apiKeyHeader")->getValue<std::string>("name"), "X-API-Key");
}

TEST(OpenApiDocument, DocumentsEveryRouteWithItsMethod) {
    Object::Ptr paths = served_document()->getObject("paths");
    ASSERT_FALSE(route_table().empty());
    for (const auto& entry : route_table()) {
        Object::Ptr item = paths->getObject(entry.pattern);
        ASSERT_TRUE(item) << "route " << entry.pattern << " is not in the document's paths";
        EXPECT_TRUE(item->getObject(lower(entry.method)))
            << entry.method << " " << entry.pattern << " is not documented";
    }
}

TEST(OpenApiDocument, DocumentsNoOperationTheRouterLacks) {
    for (const auto& operation : documented_operations(served_document())) {
        EXPECT_TRUE(find_route(operation.method, operation.path))
            << operation.method << " " << operation.path << " is documented but not routed";
    }
}

TEST(OpenApiDocument, RouterMatchesEveryPathTemplate) {
    Router router;
    for (const auto& entry : route_table())
        router.add(Route{entry.method, entry.pattern, entry.access, {}});
    const std::string sample = "3f0c2a4e-8b1d-4c6e-9f7a-0123456789ab";
    Object::Ptr document = served_document();
    for (const auto& operation : documented_operations(document)) {
        std::vector<std::string> names = template_names(operation.path);
        std::string concrete = operation.path;
        for (const auto& name : names)
            concrete.replace(concrete.find("{" + name + "}"), name.size() + 2, sample);
        RouteMatch match = router.match(operation.method, concrete);
        ASSERT_TRUE(match.route) << operation.method << " " << concrete;
        EXPECT_EQ(match.route->pattern, operation.path);
        std::set<std::string> matched;
        for (const auto& [name, value] : match.params) {
            matched.insert(name);
            EXPECT_EQ(value, sample);
        }
        EXPECT_EQ(matched, std::set<std::string>(names.begin(), names.end())) << operation.path;
        EXPECT_EQ(declared_path_parameters(document, operation), matched) << operation.path;
    }
}

TEST(OpenApiDocument, SecurityAndAuthAnswersFollowTheRouteAccess) {
    Object::Ptr document = served_document();
    for (const auto& operation : documented_operations(document)) {
        const RouteEntry* route = find_route(operation.method, operation.path);
        ASSERT_TRUE(route);
        Object::Ptr responses = operation.object->getObject("responses");
        std::string where = operation.method + " " + operation.path;
        if (route->access == RouteAccess::open) {
            Poco::JSON::Array::Ptr security = operation.object->getArray("security");
            ASSERT_TRUE(security) << where << " needs security: [] (no key)";
            EXPECT_EQ(security->size(), 0u) << where;
            EXPECT_FALSE(responses->has("401")) << where;
            EXPECT_FALSE(responses->has("429")) << where;
        } else {
            EXPECT_FALSE(operation.object->has("security")) << where << " uses the API keys";
            EXPECT_TRUE(responses->has("401")) << where;
            EXPECT_TRUE(responses->has("429")) << where;
        }
        EXPECT_EQ(responses->has("403"), route->access == RouteAccess::admin) << where;
    }
}

TEST(OpenApiDocument, EveryResponseCarriesXRequestIdAndTraceresponse) {
    Object::Ptr document = served_document();
    for (const auto& operation : documented_operations(document)) {
        Object::Ptr responses = operation.object->getObject("responses");
        ASSERT_TRUE(responses && responses->size() > 0) << operation.path;
        EXPECT_TRUE(responses->has("500")) << operation.method << " " << operation.path;
        for (const auto& status : responses->getNames()) {
            Object::Ptr response = resolve(document, responses->getObject(status));
            ASSERT_TRUE(response);
            Object::Ptr headers = response->getObject("headers");
            EXPECT_TRUE(headers && headers->has("X-Request-ID"))
                << operation.method << " " << operation.path << " " << status;
            EXPECT_TRUE(headers && headers->has("traceresponse"))
                << operation.method << " " << operation.path << " " << status;
        }
    }
}

// Every operation reads the W3C trace context headers, as every request does.
TEST(OpenApiDocument, EveryOperationTakesTheTraceContextHeaders) {
    Object::Ptr document = served_document();
    for (const auto& operation : documented_operations(document)) {
        std::set<std::string> headers;
        Poco::JSON::Array::Ptr parameters = operation.object->getArray("parameters");
        ASSERT_TRUE(parameters) << operation.method << " " << operation.path;
        for (std::size_t i = 0; i < parameters->size(); ++i) {
            Object::Ptr parameter = resolve(document, parameters->getObject(i));
            if (parameter->getValue<std::string>("in") == "header")
                headers.insert(parameter->getValue<std::string>("name"));
        }
        EXPECT_TRUE(headers.count("traceparent") && headers.count("tracestate"))
            << operation.method << " " << operation.path;
    }
}

}  // namespace
}  // namespace visiongw::core
