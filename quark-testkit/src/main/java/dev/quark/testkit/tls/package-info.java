/**
 * Certificates made at test time for TLS between silos: a certificate authority and the silo certificates it
 * issues (needs {@code org.bouncycastle:bcpkix-jdk18on} on the test class path).
 */
@NullMarked
package dev.quark.testkit.tls;

import org.jspecify.annotations.NullMarked;
