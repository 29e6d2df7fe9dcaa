#include "core/TorchSaveCheck.h"

#include "dg/Error.h"

#include <caffe2/serialize/inline_container.h>
#include <caffe2/serialize/read_adapter_interface.h>

#include <map>
#include <memory>
#include <optional>

namespace dg {
namespace {

class BytesAdapter : public caffe2::serialize::ReadAdapterInterface
{
public:
    explicit BytesAdapter(const std::vector<char>& bytes) : m_bytes(bytes) {}
    size_t size() const override { return m_bytes.size(); }
    size_t read(uint64_t pos, void* buf, size_t n, const char*) const override
    {
        if (pos >= m_bytes.size()) return 0;
        n = std::min<size_t>(n, m_bytes.size() - pos);
        std::memcpy(buf, m_bytes.data() + pos, n);
        return n;
    }

private:
    const std::vector<char>& m_bytes;
};

int64_t itemSize(const std::string& storageClass, std::string& dtype)
{
    static const std::map<std::string, std::pair<const char*, int64_t>> kinds = {
        {"FloatStorage", {"float32", 4}},     {"DoubleStorage", {"float64", 8}}, {"HalfStorage", {"float16", 2}},
        {"BFloat16Storage", {"bfloat16", 2}}, {"LongStorage", {"int64", 8}},     {"IntStorage", {"int32", 4}},
        {"ShortStorage", {"int16", 2}},       {"CharStorage", {"int8", 1}},      {"ByteStorage", {"uint8", 1}},
        {"BoolStorage", {"bool", 1}}};
    const auto it = kinds.find(storageClass);
    if (it == kinds.end()) return 0;
    dtype = it->second.first;
    return it->second.second;
}

// One value on the restricted interpreter's stack.
struct Value
{
    enum Kind
    {
        Mark,
        None,
        Bool,
        Int,
        Float,
        String,
        Tuple,
        Global,
        Storage,
        Tensor,
        Dict,
        List,
        Other
    } kind = None;
    int64_t i = 0;
    std::string s;                             // String text, Global "module.name", Storage key
    std::vector<std::shared_ptr<Value>> items; // Tuple
    int64_t storageNumel = 0;                  // Storage
    int64_t itemBytes = 0;                     // Storage
    std::string dtype;                         // Storage, Tensor
    std::vector<int64_t> shape;                // Tensor
};
using ValuePtr = std::shared_ptr<Value>;

class Interpreter
{
public:
    Interpreter(const std::string& path, caffe2::serialize::PyTorchStreamReader& reader, const std::string& pickle)
        : m_path(path), m_reader(reader), m_p(pickle)
    {
    }

    DeclaredContent run()
    {
        for (;;) {
            const uint8_t op = byte();
            if (op == '.') break; // STOP
            step(op);
        }
        if (m_stack.size() != 1)
            fail("a malformed pickle (stack of " + std::to_string(m_stack.size()) + " at the end)");
        DeclaredContent out;
        static const char* names[] = {"mark",  "none",    "bool",   "number", "number", "string", "tuple",
                                      "class", "storage", "tensor", "dict",   "list",   "object"};
        out.kind = names[m_stack.back()->kind];
        out.tensors = m_tensors;
        return out;
    }

private:
    [[noreturn]] void fail(const std::string& what) const { throw Error("'" + m_path + "': " + what); }

    uint8_t byte()
    {
        if (m_pos >= m_p.size()) fail("truncated or corrupt (the pickle ends early)");
        return static_cast<uint8_t>(m_p[m_pos++]);
    }
    uint64_t little(int n)
    {
        uint64_t v = 0;
        for (int k = 0; k < n; ++k)
            v |= static_cast<uint64_t>(byte()) << (8 * k);
        return v;
    }
    std::string bytes(uint64_t n)
    {
        if (n > m_p.size() - m_pos) fail("truncated or corrupt (a string runs past the pickle's end)");
        std::string s = m_p.substr(m_pos, n);
        m_pos += n;
        return s;
    }
    std::string line()
    {
        const size_t end = m_p.find('\n', m_pos);
        if (end == std::string::npos) fail("truncated or corrupt (an unterminated name in the pickle)");
        std::string s = m_p.substr(m_pos, end - m_pos);
        m_pos = end + 1;
        return s;
    }
    ValuePtr make(Value::Kind k)
    {
        auto v = std::make_shared<Value>();
        v->kind = k;
        return v;
    }
    ValuePtr pop()
    {
        if (m_stack.empty() || m_stack.back()->kind == Value::Mark) fail("a malformed pickle (stack underflow)");
        auto v = m_stack.back();
        m_stack.pop_back();
        return v;
    }
    std::vector<ValuePtr> popToMark()
    {
        std::vector<ValuePtr> items;
        while (!m_stack.empty() && m_stack.back()->kind != Value::Mark) {
            items.insert(items.begin(), m_stack.back());
            m_stack.pop_back();
        }
        if (m_stack.empty()) fail("a malformed pickle (no mark)");
        m_stack.pop_back();
        return items;
    }
    void push(ValuePtr v)
    {
        if (m_stack.size() > 100000) fail("a malformed pickle (too deep)");
        m_stack.push_back(std::move(v));
    }
    ValuePtr tuple(std::vector<ValuePtr> items)
    {
        auto t = make(Value::Tuple);
        t->items = std::move(items);
        return t;
    }
    ValuePtr integer(int64_t i)
    {
        auto v = make(Value::Int);
        v->i = i;
        return v;
    }

    ValuePtr persistent(const ValuePtr& id)
    {
        // ('storage', torch.FloatStorage, key, location, numel)
        if (id->kind != Value::Tuple || id->items.size() != 5 || id->items[0]->kind != Value::String ||
            id->items[0]->s != "storage" || id->items[1]->kind != Value::Global ||
            id->items[2]->kind != Value::String || id->items[4]->kind != Value::Int)
            fail("an unsupported persistent object (not a torch.save storage)");
        const std::string cls = id->items[1]->s;
        auto st = make(Value::Storage);
        st->itemBytes = cls.rfind("torch.", 0) == 0 ? itemSize(cls.substr(6), st->dtype) : 0;
        if (st->itemBytes == 0) fail("unsupported storage type " + cls);
        st->s = id->items[2]->s;
        st->storageNumel = id->items[4]->i;
        const std::string record = "data/" + st->s;
        if (!m_reader.hasRecord(record)) fail("truncated or corrupt (storage record '" + record + "' is missing)");
        auto [data, size] = m_reader.getRecord(record);
        if (st->storageNumel < 0 || static_cast<uint64_t>(st->storageNumel) > size / st->itemBytes ||
            static_cast<size_t>(st->storageNumel * st->itemBytes) != size)
            fail("truncated or corrupt (storage '" + st->s + "' declares " + std::to_string(st->storageNumel) +
                 " values, its record holds " + std::to_string(size) + " bytes)");
        return st;
    }

    ValuePtr rebuildTensor(const std::vector<ValuePtr>& args)
    {
        // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
        if (args.size() < 4 || args[0]->kind != Value::Storage || args[1]->kind != Value::Int ||
            args[2]->kind != Value::Tuple || args[3]->kind != Value::Tuple ||
            args[2]->items.size() != args[3]->items.size())
            fail("a malformed tensor record");
        const auto& storage = *args[0];
        const int64_t offset = args[1]->i;
        auto t = make(Value::Tensor);
        t->dtype = storage.dtype;
        if (offset < 0) fail("a tensor with a negative storage offset");
        int64_t numel = 1;
        int64_t last = offset; // the highest element index the view reaches
        bool empty = false;
        for (size_t d = 0; d < args[2]->items.size(); ++d) {
            const auto& size = args[2]->items[d];
            const auto& stride = args[3]->items[d];
            if (size->kind != Value::Int || stride->kind != Value::Int) fail("a malformed tensor shape");
            if (size->i < 0) fail("a tensor with a negative dimension (" + std::to_string(size->i) + ")");
            if (stride->i < 0) fail("a tensor with a negative stride");
            t->shape.push_back(size->i);
            if (size->i == 0) empty = true;
            if (__builtin_mul_overflow(numel, size->i, &numel)) fail("a tensor whose shape overflows");
            int64_t reach = 0;
            if (size->i > 0 &&
                (__builtin_mul_overflow(size->i - 1, stride->i, &reach) || __builtin_add_overflow(last, reach, &last)))
                fail("a tensor whose shape overflows");
        }
        if (!empty && last >= storage.storageNumel)
            fail("truncated or corrupt (a tensor of shape " + shapeText(t->shape) + " needs " +
                 std::to_string(last + 1) + " stored values, its storage holds " +
                 std::to_string(storage.storageNumel) + ")");
        m_tensors.push_back({t->dtype, t->shape, numel});
        return t;
    }

    static std::string shapeText(const std::vector<int64_t>& shape)
    {
        std::string s = "[";
        for (size_t i = 0; i < shape.size(); ++i)
            s += (i ? ", " : "") + std::to_string(shape[i]);
        return s + "]";
    }

    ValuePtr reduce(const ValuePtr& callable, const ValuePtr& args)
    {
        if (callable->kind != Value::Global || args->kind != Value::Tuple) fail("a malformed pickle (bad REDUCE)");
        if (callable->s == "torch._utils._rebuild_tensor_v2") return rebuildTensor(args->items);
        if (callable->s == "collections.OrderedDict") return make(Value::Dict);
        fail("holds an object of type " + callable->s + ", not plain tensor data");
    }

    void step(uint8_t op)
    {
        switch (op) {
        case 0x80:
            byte();
            break; // PROTO
        case 0x95:
            little(8);
            break; // FRAME
        case '(':
            push(make(Value::Mark));
            break; // MARK
        case 'N':
            push(make(Value::None));
            break; // NONE
        case 0x88:
        case 0x89: { // NEWTRUE, NEWFALSE
            auto v = make(Value::Bool);
            v->i = op == 0x88;
            push(v);
            break;
        }
        case 'K':
            push(integer(byte()));
            break; // BININT1
        case 'M':
            push(integer(static_cast<int64_t>(little(2))));
            break; // BININT2
        case 'J':
            push(integer(static_cast<int32_t>(little(4))));
            break;   // BININT
        case 0x8a: { // LONG1
            const int n = byte();
            if (n > 8) fail("a number too large for a tensor shape");
            uint64_t v = n ? little(n) : 0;
            if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t{0} << (8 * n); // sign-extend
            push(integer(static_cast<int64_t>(v)));
            break;
        }
        case 'G':
            little(8);
            push(make(Value::Float));
            break; // BINFLOAT
        case 'X': {
            auto v = make(Value::String);
            v->s = bytes(little(4));
            push(v);
            break;
        } // BINUNICODE
        case 0x8c: {
            auto v = make(Value::String);
            v->s = bytes(byte());
            push(v);
            break;
        } // SHORT_BINUNICODE
        case 'U':
        case 'C': {
            auto v = make(Value::String);
            v->s = bytes(byte());
            push(v);
            break;
        } // SHORT_BINSTRING/BYTES
        case 'T':
        case 'B': {
            auto v = make(Value::String);
            v->s = bytes(little(4));
            push(v);
            break;
        }           // BINSTRING/BYTES
        case 'c': { // GLOBAL
            auto v = make(Value::Global);
            const std::string module = line();
            v->s = module + "." + line();
            push(v);
            break;
        }
        case 0x93: { // STACK_GLOBAL
            const auto name = pop(), module = pop();
            if (name->kind != Value::String || module->kind != Value::String) fail("a malformed pickle (STACK_GLOBAL)");
            auto v = make(Value::Global);
            v->s = module->s + "." + name->s;
            push(v);
            break;
        }
        case ')':
            push(tuple({}));
            break; // EMPTY_TUPLE
        case 0x85: {
            auto a = pop();
            push(tuple({a}));
            break;
        } // TUPLE1
        case 0x86: {
            auto b = pop(), a = pop();
            push(tuple({a, b}));
            break;
        } // TUPLE2
        case 0x87: {
            auto c = pop(), b = pop(), a = pop();
            push(tuple({a, b, c}));
            break;
        } // TUPLE3
        case 't':
            push(tuple(popToMark()));
            break; // TUPLE
        case '}':
            push(make(Value::Dict));
            break; // EMPTY_DICT
        case ']':
            push(make(Value::List));
            break; // EMPTY_LIST
        case 's':
            pop();
            pop();
            if (m_stack.empty()) fail("a malformed pickle (SETITEM)");
            break;
        case 'u':
        case 'e':
            popToMark();
            if (m_stack.empty()) fail("a malformed pickle (SETITEMS)");
            break;
        case 'a':
            pop();
            if (m_stack.empty()) fail("a malformed pickle (APPEND)");
            break;
        case 'b':
            pop();
            if (m_stack.empty()) fail("a malformed pickle (BUILD)");
            break;
        case 'q':
            memoPut(byte());
            break; // BINPUT
        case 'r':
            memoPut(little(4));
            break; // LONG_BINPUT
        case 0x94:
            memoPut(m_memo.size());
            break; // MEMOIZE
        case 'h':
            memoGet(byte());
            break; // BINGET
        case 'j':
            memoGet(little(4));
            break; // LONG_BINGET
        case 'Q':
            push(persistent(pop()));
            break; // BINPERSID
        case 'R': {
            auto args = pop(), callable = pop();
            push(reduce(callable, args));
            break;
        } // REDUCE
        case '0':
            pop();
            break; // POP
        default: {
            char hex[8];
            std::snprintf(hex, sizeof hex, "0x%02x", op);
            fail(std::string("unsupported pickle content (opcode ") + hex + "), not a file torch.save writes");
        }
        }
    }

    void memoPut(uint64_t key)
    {
        if (m_stack.empty()) fail("a malformed pickle (memo of nothing)");
        m_memo[key] = m_stack.back();
    }
    void memoGet(uint64_t key)
    {
        const auto it = m_memo.find(key);
        if (it == m_memo.end()) fail("a malformed pickle (unknown memo entry)");
        push(it->second);
    }

    std::string m_path;
    caffe2::serialize::PyTorchStreamReader& m_reader;
    const std::string m_p;
    size_t m_pos = 0;
    std::vector<ValuePtr> m_stack;
    std::map<uint64_t, ValuePtr> m_memo;
    std::vector<DeclaredTensor> m_tensors;
};

} // namespace

DeclaredContent checkTorchSave(const std::vector<char>& bytes, const std::string& path)
{
    const bool zip = bytes.size() >= 4 && bytes[0] == 'P' && bytes[1] == 'K' && bytes[2] == 3 && bytes[3] == 4;
    if (!zip)
        throw Error("'" + path +
                    "': not a tensor file written by torch.save (no zip archive; the legacy format is not read)");
    if (!hasZipDirectory(bytes)) throw Error("'" + path + "': truncated (the zip archive has no directory at its end)");
    if (const auto problem = zipIntegrityProblem(bytes); !problem.empty()) throw Error("'" + path + "': " + problem);
    std::unique_ptr<caffe2::serialize::PyTorchStreamReader> reader;
    std::string pickle;
    try {
        reader = std::make_unique<caffe2::serialize::PyTorchStreamReader>(std::make_shared<BytesAdapter>(bytes));
        if (!reader->hasRecord("data.pkl"))
            throw Error("'" + path + "': a zip archive but not a torch.save file (no data.pkl)");
        auto [data, size] = reader->getRecord("data.pkl");
        pickle.assign(static_cast<const char*>(data.get()), size);
    } catch (const Error&) {
        throw;
    } catch (const std::exception&) {
        throw Error("'" + path + "': truncated or corrupt (its zip archive cannot be read)");
    }
    try {
        return Interpreter(path, *reader, pickle).run();
    } catch (const Error&) {
        throw;
    } catch (const std::exception&) {
        throw Error("'" + path + "': truncated or corrupt (a record cannot be read)");
    }
}

} // namespace dg
