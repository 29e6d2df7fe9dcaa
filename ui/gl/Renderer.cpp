#include "Renderer.h"

#include "DgShaders.h"

#define GL_GLEXT_PROTOTYPES 1
#include <GL/glcorearb.h>

#include <array>
#include <stdexcept>
#include <string>
#include <utility>

namespace dg::gl {
namespace {

// Move-only owner of one GL name (Magnum-style RAII); destroy() must run with the context current.
template <void (*Delete)(GLuint)> class GlName
{
public:
    GlName() = default;
    explicit GlName(GLuint id) : m_id(id) {}
    GlName(GlName&& o) noexcept : m_id(std::exchange(o.m_id, 0)) {}
    GlName& operator=(GlName&& o) noexcept
    {
        destroy();
        m_id = std::exchange(o.m_id, 0);
        return *this;
    }
    ~GlName() = default; // no GL here: the context may be gone
    GLuint id() const { return m_id; }
    void destroy()
    {
        if (m_id) Delete(m_id);
        m_id = 0;
    }

private:
    GLuint m_id = 0;
};

void deleteProgram(GLuint id)
{
    glDeleteProgram(id);
}
void deleteBuffer(GLuint id)
{
    glDeleteBuffers(1, &id);
}
void deleteVertexArray(GLuint id)
{
    glDeleteVertexArrays(1, &id);
}
void deleteTexture(GLuint id)
{
    glDeleteTextures(1, &id);
}

using Program = GlName<deleteProgram>;
using Buffer = GlName<deleteBuffer>;
using VertexArray = GlName<deleteVertexArray>;
using Texture = GlName<deleteTexture>;

GLuint compile(GLenum type, const char* source, const char* name)
{
    const GLuint shader = glCreateShader(type);
    glShaderSource(shader, 1, &source, nullptr);
    glCompileShader(shader);
    GLint ok = 0;
    glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
    if (!ok) {
        std::string log(4096, '\0');
        GLsizei length = 0;
        glGetShaderInfoLog(shader, static_cast<GLsizei>(log.size()), &length, log.data());
        glDeleteShader(shader);
        throw std::runtime_error(std::string("shader ") + name + ": " + log.substr(0, static_cast<size_t>(length)));
    }
    return shader;
}

Program link(const char* vertex, const char* fragment, const char* name)
{
    const GLuint vs = compile(GL_VERTEX_SHADER, vertex, name);
    const GLuint fs = compile(GL_FRAGMENT_SHADER, fragment, name);
    const GLuint program = glCreateProgram();
    glAttachShader(program, vs);
    glAttachShader(program, fs);
    glLinkProgram(program);
    glDeleteShader(vs);
    glDeleteShader(fs);
    GLint ok = 0;
    glGetProgramiv(program, GL_LINK_STATUS, &ok);
    if (!ok) {
        std::string log(4096, '\0');
        GLsizei length = 0;
        glGetProgramInfoLog(program, static_cast<GLsizei>(log.size()), &length, log.data());
        glDeleteProgram(program);
        throw std::runtime_error(std::string("shader program ") + name + ": " +
                                 log.substr(0, static_cast<size_t>(length)));
    }
    return Program(program);
}

struct Geometry
{
    VertexArray vao;
    Buffer vbo;
};

// Interleaved vertex layout: position (2 floats) then `extra` floats at location 1.
Geometry makeGeometry(int extra)
{
    GLuint vao = 0, vbo = 0;
    glGenVertexArrays(1, &vao);
    glGenBuffers(1, &vbo);
    glBindVertexArray(vao);
    glBindBuffer(GL_ARRAY_BUFFER, vbo);
    const GLsizei stride = static_cast<GLsizei>((2 + extra) * sizeof(float));
    glEnableVertexAttribArray(0);
    glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, stride, nullptr);
    glEnableVertexAttribArray(1);
    glVertexAttribPointer(1, extra, GL_FLOAT, GL_FALSE, stride, reinterpret_cast<void*>(2 * sizeof(float)));
    glBindVertexArray(0);
    glBindBuffer(GL_ARRAY_BUFFER, 0);
    return {VertexArray(vao), Buffer(vbo)};
}

} // namespace

struct Renderer::Impl
{
    bool ready = false;
    Program image, shape;
    Geometry quad, shapes;
    std::array<Texture, kImageSlots> textures;
    std::array<int, kImageSlots> channels{};
    int width = 1, height = 1;

    void colored(const std::vector<float>& xy, const std::vector<Color>& colors, GLenum mode)
    {
        const size_t n = xy.size() / 2;
        if (n == 0) return;
        std::vector<float> data;
        data.reserve(n * 6);
        for (size_t i = 0; i < n; ++i) {
            const Color& c = colors.size() == 1 ? colors[0] : colors.at(i);
            data.insert(data.end(), {xy[2 * i], xy[2 * i + 1], c.r, c.g, c.b, c.a});
        }
        glUseProgram(shape.id());
        glUniform2f(glGetUniformLocation(shape.id(), "uViewport"), static_cast<float>(width),
                    static_cast<float>(height));
        glBindVertexArray(shapes.vao.id());
        glBindBuffer(GL_ARRAY_BUFFER, shapes.vbo.id());
        glBufferData(GL_ARRAY_BUFFER, static_cast<GLsizeiptr>(data.size() * sizeof(float)), data.data(),
                     GL_STREAM_DRAW);
        glDrawArrays(mode, 0, static_cast<GLsizei>(n));
    }
};

Renderer::Renderer() : m_impl(std::make_unique<Impl>()) {}
Renderer::~Renderer() = default;

bool Renderer::initialized() const
{
    return m_impl->ready;
}

void Renderer::initialize()
{
    if (m_impl->ready) return;
    m_impl->image = link(shaders::kImageVert, shaders::kImageFrag, "image");
    m_impl->shape = link(shaders::kShapeVert, shaders::kShapeFrag, "shape");
    m_impl->quad = makeGeometry(2);
    m_impl->shapes = makeGeometry(4);
    for (auto& t : m_impl->textures) {
        GLuint id = 0;
        glGenTextures(1, &id);
        t = Texture(id);
    }
    m_impl->ready = true;
}

void Renderer::release()
{
    if (!m_impl->ready) return;
    m_impl->image.destroy();
    m_impl->shape.destroy();
    m_impl->quad.vao.destroy();
    m_impl->quad.vbo.destroy();
    m_impl->shapes.vao.destroy();
    m_impl->shapes.vbo.destroy();
    for (auto& t : m_impl->textures)
        t.destroy();
    m_impl->ready = false;
}

void Renderer::beginFrame(int width, int height, const Color& clear)
{
    m_impl->width = std::max(1, width);
    m_impl->height = std::max(1, height);
    glViewport(0, 0, m_impl->width, m_impl->height);
    glDisable(GL_DEPTH_TEST);
    glDisable(GL_CULL_FACE);
    glDisable(GL_SCISSOR_TEST);
    glEnable(GL_BLEND);
    // Keep destination alpha at 1: hosts composite the framebuffer as premultiplied alpha (QOpenGLWidget).
    glBlendFuncSeparate(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA, GL_ONE, GL_ONE_MINUS_SRC_ALPHA);
    glEnable(GL_PROGRAM_POINT_SIZE);
    glClearColor(clear.r, clear.g, clear.b, clear.a);
    glClear(GL_COLOR_BUFFER_BIT);
}

void Renderer::setImage(int slot, const ImageData& image)
{
    if (slot < 0 || slot >= kImageSlots) throw std::out_of_range("Renderer::setImage: slot");
    if (image.values.size() != static_cast<size_t>(image.width) * image.height * image.channels)
        throw std::invalid_argument("Renderer::setImage: size does not match width × height × channels");
    glBindTexture(GL_TEXTURE_2D, m_impl->textures[static_cast<size_t>(slot)].id());
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    const bool rgb = image.channels == 3;
    glTexImage2D(GL_TEXTURE_2D, 0, rgb ? GL_RGB32F : GL_R32F, image.width, image.height, 0, rgb ? GL_RGB : GL_RED,
                 GL_FLOAT, image.values.data());
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    m_impl->channels[static_cast<size_t>(slot)] = image.channels;
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4); // the GL default, which hosts (Qt's glyph cache) rely on
    glBindTexture(GL_TEXTURE_2D, 0);
}

void Renderer::drawImage(int slot, const RectF& r, Colormap colormap, float scale, const Color& gap, bool smooth)
{
    if (slot < 0 || slot >= kImageSlots) throw std::out_of_range("Renderer::drawImage: slot");
    auto& d = *m_impl;
    const float v[] = {r.x,       r.y, 0, 0, r.x + r.w, r.y,       1, 0, r.x, r.y + r.h, 0, 1,
                       r.x + r.w, r.y, 1, 0, r.x + r.w, r.y + r.h, 1, 1, r.x, r.y + r.h, 0, 1};
    glUseProgram(d.image.id());
    const GLuint p = d.image.id();
    glUniform2f(glGetUniformLocation(p, "uViewport"), static_cast<float>(d.width), static_cast<float>(d.height));
    glUniform1i(glGetUniformLocation(p, "uTexture"), 0);
    glUniform1i(glGetUniformLocation(p, "uColormap"), static_cast<int>(colormap));
    glUniform1i(glGetUniformLocation(p, "uChannels"), d.channels[static_cast<size_t>(slot)]);
    glUniform1f(glGetUniformLocation(p, "uScale"), scale > 0 ? scale : 1.0f);
    glUniform4f(glGetUniformLocation(p, "uGapColor"), gap.r, gap.g, gap.b, gap.a);
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, d.textures[static_cast<size_t>(slot)].id());
    // Pixels stay crisp when magnified (a 28×28 tile is looked at up close); densities are smooth.
    const GLint filter = smooth ? GL_LINEAR : GL_NEAREST;
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, filter);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, filter);
    glBindVertexArray(d.quad.vao.id());
    glBindBuffer(GL_ARRAY_BUFFER, d.quad.vbo.id());
    glBufferData(GL_ARRAY_BUFFER, sizeof v, v, GL_STREAM_DRAW);
    glDrawArrays(GL_TRIANGLES, 0, 6);
}

void Renderer::drawPoints(const std::vector<float>& xy, const std::vector<Color>& colors, float size)
{
    if (colors.empty() || (colors.size() != 1 && colors.size() != xy.size() / 2))
        throw std::invalid_argument("Renderer::drawPoints: one colour, or one per point");
    glUseProgram(m_impl->shape.id());
    glUniform1f(glGetUniformLocation(m_impl->shape.id(), "uPointSize"), size);
    glUniform1i(glGetUniformLocation(m_impl->shape.id(), "uRound"), 1);
    m_impl->colored(xy, colors, GL_POINTS);
}

void Renderer::drawLines(const std::vector<float>& xy, const std::vector<Color>& colors)
{
    if (colors.empty() || (colors.size() != 1 && colors.size() != xy.size() / 2))
        throw std::invalid_argument("Renderer::drawLines: one colour, or one per endpoint");
    glUseProgram(m_impl->shape.id());
    glUniform1i(glGetUniformLocation(m_impl->shape.id(), "uRound"), 0);
    m_impl->colored(xy, colors, GL_LINES);
}

void Renderer::drawRects(const std::vector<RectF>& rects, const std::vector<Color>& colors)
{
    if (colors.empty() || (colors.size() != 1 && colors.size() != rects.size()))
        throw std::invalid_argument("Renderer::drawRects: one colour, or one per rectangle");
    std::vector<float> xy;
    std::vector<Color> perVertex;
    xy.reserve(rects.size() * 12);
    for (size_t i = 0; i < rects.size(); ++i) {
        const RectF& r = rects[i];
        xy.insert(xy.end(),
                  {r.x, r.y, r.x + r.w, r.y, r.x, r.y + r.h, r.x + r.w, r.y, r.x + r.w, r.y + r.h, r.x, r.y + r.h});
        perVertex.insert(perVertex.end(), 6, colors.size() == 1 ? colors[0] : colors[i]);
    }
    glUseProgram(m_impl->shape.id());
    glUniform1i(glGetUniformLocation(m_impl->shape.id(), "uRound"), 0);
    m_impl->colored(xy, perVertex, GL_TRIANGLES);
}

void Renderer::setClip(const RectF* r)
{
    if (!r) {
        glDisable(GL_SCISSOR_TEST);
        return;
    }
    glEnable(GL_SCISSOR_TEST);
    glScissor(static_cast<GLint>(r->x), static_cast<GLint>(m_impl->height - (r->y + r->h)), static_cast<GLsizei>(r->w),
              static_cast<GLsizei>(r->h));
}

void Renderer::endFrame()
{
    glDisable(GL_SCISSOR_TEST);
    glBindVertexArray(0);
    glBindBuffer(GL_ARRAY_BUFFER, 0);
    glBindTexture(GL_TEXTURE_2D, 0);
    glUseProgram(0);
    glDisable(GL_PROGRAM_POINT_SIZE);
}

} // namespace dg::gl
