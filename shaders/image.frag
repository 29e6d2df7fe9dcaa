#version 330 core
// Colormaps: 0 image ([-1, 1] -> grey or RGB), 1 diverging ([-scale, scale] -> blue, white, red),
// 2 sequential (values already in [0, 1] -> dark blue to yellow, for densities). NaN texels are gaps.
in vec2 vUv;
uniform sampler2D uTexture;
uniform int uColormap;
uniform int uChannels;
uniform float uScale;
uniform vec4 uGapColor;
out vec4 fragColor;

vec3 diverging(float t)
{
    t = clamp(t, -1.0, 1.0);
    vec3 white = vec3(0.97, 0.97, 0.97);
    vec3 red = vec3(0.70, 0.09, 0.17);
    vec3 blue = vec3(0.13, 0.40, 0.67);
    return t >= 0.0 ? mix(white, red, t) : mix(white, blue, -t);
}

vec3 sequential(float t)
{
    t = clamp(t, 0.0, 1.0);
    vec3 c0 = vec3(0.05, 0.03, 0.20);
    vec3 c1 = vec3(0.15, 0.35, 0.55);
    vec3 c2 = vec3(0.20, 0.65, 0.50);
    vec3 c3 = vec3(0.99, 0.91, 0.15);
    if (t < 0.33) return mix(c0, c1, t / 0.33);
    if (t < 0.66) return mix(c1, c2, (t - 0.33) / 0.33);
    return mix(c2, c3, (t - 0.66) / 0.34);
}

void main()
{
    vec4 texel = texture(uTexture, vUv);
    if (isnan(texel.r)) {
        fragColor = uGapColor;
        return;
    }
    vec3 rgb;
    if (uColormap == 1) rgb = diverging(texel.r / uScale);
    else if (uColormap == 2) rgb = sequential(texel.r);
    else rgb = clamp((uChannels == 3 ? texel.rgb : texel.rrr) * 0.5 + 0.5, 0.0, 1.0);
    fragColor = vec4(rgb, 1.0);
}
