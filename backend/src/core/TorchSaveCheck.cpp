#include "core/TorchSaveCheck.h"

#include "dg/Error.h"

#include <caffe2/serialize/inline_container.h>
#include <caffe2/serialize/read_adapter_interface.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sys/stat.h>

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

bool hasZipDirectory(const std::vector<char>& b)
{
    // The end-of-central-directory record ("PK\5\6", 22 bytes + a comment of at most 65535) closes every zip file.
    if (b.size() < 22) return false;
    const size_t stop = b.size() > 22 + 65535 ? b.size() - 22 - 65535 : 0;
    for (size_t i = b.size() - 22 + 1; i-- > stop;)
        if (b[i] == 'P' && b[i + 1] == 'K' && b[i + 2] == 5 && b[i + 3] == 6) return true;
    return false;
}

// n bytes from at lie inside b (written so that nothing wraps around when b is shorter than n).
bool fits(const std::vector<char>& b, uint64_t at, uint64_t n)
{
    return n <= b.size() && at <= b.size() - n;
}

uint64_t le(const std::vector<char>& b, size_t at, int n)
{
    uint64_t v = 0;
    for (int k = 0; k < n; ++k)
        v |= static_cast<uint64_t>(static_cast<uint8_t>(b[at + k])) << (8 * k);
    return v;
}

} // namespace

std::string zipIntegrityProblem(const std::vector<char>& b)
{
    // The zip format (PKWARE APPNOTE): end-of-central-directory record, optional zip64 records, the central
    // directory's entries, each naming a local header, the stored bytes and their CRC-32. LibTorch's reader skips the
    // CRC check (its miniz is built without it); a flipped bit is found here.
    const std::string corrupt = "corrupt (";
    if (b.size() < 22) return "truncated (shorter than a zip directory)";
    size_t eocd = std::string::npos;
    const size_t stop = b.size() > 22 + 65535 ? b.size() - 22 - 65535 : 0;
    for (size_t i = b.size() - 22 + 1; i-- > stop;)
        if (le(b, i, 4) == 0x06054b50) {
            eocd = i;
            break;
        }
    if (eocd == std::string::npos) return "truncated (the zip archive has no directory at its end)";
    uint64_t entries = le(b, eocd + 10, 2), dirSize = le(b, eocd + 12, 4), dirOffset = le(b, eocd + 16, 4);
    if (entries == 0xFFFF || dirSize == 0xFFFFFFFF || dirOffset == 0xFFFFFFFF) {
        if (eocd < 20 || le(b, eocd - 20, 4) != 0x07064b50) return corrupt + "a zip64 archive without its locator)";
        const uint64_t z64 = le(b, eocd - 20 + 8, 8);
        if (!fits(b, z64, 56) || le(b, z64, 4) != 0x06064b50) return corrupt + "a bad zip64 directory record)";
        entries = le(b, z64 + 32, 8);
        dirSize = le(b, z64 + 40, 8);
        dirOffset = le(b, z64 + 48, 8);
    }
    if (dirOffset > b.size() || dirSize > b.size() - dirOffset)
        return "truncated (the zip directory lies past the file's end)";
    size_t at = dirOffset;
    for (uint64_t e = 0; e < entries; ++e) {
        if (!fits(b, at, 46) || le(b, at, 4) != 0x02014b50) return corrupt + "a damaged zip directory entry)";
        const uint64_t method = le(b, at + 10, 2), crc = le(b, at + 16, 4);
        uint64_t compressed = le(b, at + 20, 4), uncompressed = le(b, at + 24, 4);
        const size_t nameLen = le(b, at + 28, 2), extraLen = le(b, at + 30, 2), commentLen = le(b, at + 32, 2);
        uint64_t local = le(b, at + 42, 4);
        if (at + 46 + nameLen + extraLen + commentLen > b.size()) return corrupt + "a damaged zip directory entry)";
        // zip64 extended information: the 8-byte values of the fields that read 0xFFFFFFFF, in this order.
        for (size_t x = at + 46 + nameLen; x + 4 <= at + 46 + nameLen + extraLen;) {
            const uint64_t id = le(b, x, 2), len = le(b, x + 2, 2);
            if (x + 4 + len > at + 46 + nameLen + extraLen) return corrupt + "a damaged zip extra field)";
            if (id == 0x0001) {
                size_t f = x + 4;
                auto take = [&](uint64_t& v) {
                    if (v == 0xFFFFFFFF && f + 8 <= x + 4 + len) {
                        v = le(b, f, 8);
                        f += 8;
                    }
                };
                take(uncompressed);
                take(compressed);
                take(local);
            }
            x += 4 + len;
        }
        const std::string name(b.data() + at + 46, nameLen);
        at += 46 + nameLen + extraLen + commentLen;
        if (method != 0 && method != 8) return corrupt + "record '" + name + "' uses an unknown compression)";
        if (!fits(b, local, 30) || le(b, local, 4) != 0x04034b50)
            return corrupt + "record '" + name + "' has no header)";
        const size_t data = local + 30 + le(b, local + 26, 2) + le(b, local + 28, 2);
        if (data > b.size() || compressed > b.size() - data)
            return "truncated (record '" + name + "' runs past the file's end)";
        const auto* start = reinterpret_cast<const Bytef*>(b.data() + data);
        uint64_t actual = 0;
        if (method == 0) {
            if (compressed != uncompressed) return corrupt + "record '" + name + "' has inconsistent sizes)";
            actual = ::crc32(0L, start, static_cast<uInt>(compressed));
        } else { // deflate (the small code records of TorchScript files)
            if (uncompressed > (uint64_t{1} << 28))
                return corrupt + "record '" + name + "' claims an implausible size)";
            std::vector<Bytef> out(static_cast<size_t>(uncompressed) + 1);
            z_stream z{};
            if (inflateInit2(&z, -15) != Z_OK) return "cannot check record '" + name + "' (zlib)";
            z.next_in = const_cast<Bytef*>(start);
            z.avail_in = static_cast<uInt>(compressed);
            z.next_out = out.data();
            z.avail_out = static_cast<uInt>(out.size());
            const int rc = inflate(&z, Z_FINISH);
            const uint64_t produced = z.total_out;
            inflateEnd(&z);
            if (rc != Z_STREAM_END || produced != uncompressed)
                return corrupt + "record '" + name +
                       "' does not decompress: the file was damaged after it was written)";
            actual = ::crc32(0L, out.data(), static_cast<uInt>(produced));
        }
        if (actual != crc)
            return corrupt + "record '" + name + "' fails its CRC-32 check: the file was damaged after it was written)";
    }
    return {};
}

std::string archiveProblem(const std::string& path)
{
    struct stat st
    {
    };
    if (::stat(path.c_str(), &st) != 0) return errno == ENOENT ? "no such file" : std::strerror(errno);
    if (S_ISDIR(st.st_mode)) return "is a directory, expected a file";
    if (!S_ISREG(st.st_mode)) return "not a regular file (a device, pipe or socket)";
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::string("cannot be opened for reading (") + std::strerror(errno) + ")";
    char head[4] = {};
    in.read(head, 4);
    if (in.gcount() < 4 || head[0] != 'P' || head[1] != 'K' || head[2] != 3 || head[3] != 4)
        return "not a zip archive (not written by torch.save, torch.jit.save or dg)";
    const auto size = static_cast<size_t>(st.st_size);
    const size_t tail = std::min<size_t>(size, 22 + 65535);
    std::vector<char> end(tail);
    in.seekg(static_cast<std::streamoff>(size - tail));
    in.read(end.data(), static_cast<std::streamsize>(tail));
    if (!in || !hasZipDirectory(end)) return "truncated (the zip archive has no directory at its end)";
    in.seekg(0);
    std::vector<char> all(size);
    in.read(all.data(), static_cast<std::streamsize>(size));
    if (!in) return "cannot be read to its end";
    return zipIntegrityProblem(all);
}

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
