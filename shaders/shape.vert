#version 330 core
// Points and line segments in screen pixels (origin top-left), one RGBA colour per vertex.
layout(location = 0) in vec2 aPos;
layout(location = 1) in vec4 aColor;
uniform vec2 uViewport;
uniform float uPointSize;
out vec4 vColor;
void main()
{
    vec2 ndc = vec2(aPos.x / uViewport.x * 2.0 - 1.0, 1.0 - aPos.y / uViewport.y * 2.0);
    gl_Position = vec4(ndc, 0.0, 1.0);
    gl_PointSize = uPointSize;
    vColor = aColor;
}
