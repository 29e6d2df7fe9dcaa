#version 330 core
// uRound = 1 draws each point as an anti-aliased disc with a dark rim; lines and rectangles pass the colour through.
in vec4 vColor;
uniform int uRound;
out vec4 fragColor;
void main()
{
    if (uRound == 1) {
        float r = length(gl_PointCoord * 2.0 - 1.0);
        if (r > 1.0) discard;
        float edge = smoothstep(0.65, 0.85, r);
        fragColor = vec4(mix(vColor.rgb, vColor.rgb * 0.35, edge), vColor.a * (1.0 - smoothstep(0.9, 1.0, r)));
        return;
    }
    fragColor = vColor;
}
