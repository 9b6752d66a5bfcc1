package dev.quark.cluster.transport.grpc;

import java.security.cert.X509Certificate;
import java.util.List;

import dev.quark.testkit.tls.TestCertificateAuthority;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The host name rules a silo's server checks a peer's certificate by, against the host its envelopes come from:
 * those of an HTTPS client.
 */
class PeerCertificateNamesTests {

    private final TestCertificateAuthority authority = TestCertificateAuthority.create("names-ca");

    @Test
    void anIpAddressMustBeAnIpAddressNameNotADnsNameNorTheCommonName() {
        X509Certificate certificate = certificate("10.0.0.5", List.of("10.0.0.5"), List.of("10.0.0.6", "::1"));
        assertThat(PeerCertificateNames.names(certificate, "10.0.0.6")).isTrue();
        assertThat(PeerCertificateNames.names(certificate, "0:0:0:0:0:0:0:1")).as("the same IPv6 address").isTrue();
        assertThat(PeerCertificateNames.names(certificate, "[::1]")).isTrue();
        assertThat(PeerCertificateNames.names(certificate, "10.0.0.5")).isFalse();
        assertThat(PeerCertificateNames.names(certificate, "10.0.0.7")).isFalse();
    }

    @Test
    void aHostNameMustBeADnsNameIgnoringCase() {
        X509Certificate certificate = certificate("other", List.of("Silo-1.Shop.Internal"), List.of("10.0.0.5"));
        assertThat(PeerCertificateNames.names(certificate, "silo-1.shop.internal")).isTrue();
        assertThat(PeerCertificateNames.names(certificate, "SILO-1.shop.internal")).isTrue();
        assertThat(PeerCertificateNames.names(certificate, "silo-2.shop.internal")).isFalse();
        assertThat(PeerCertificateNames.names(certificate, "other")).as("not the common name beside DNS names")
            .isFalse();
        assertThat(PeerCertificateNames.names(certificate, "300.1.1.1")).as("no IP literal: a name, not looked up")
            .isFalse();
    }

    /**
     * As the JDK's HTTPS check for a chain of a private authority: as many labels, a {@code *} for any run of
     * characters within a label, in any label, never alone nor without a dot after the last one.
     */
    @Test
    void wildcardsMatchWithinTheirLabelAsTheJdksHttpsCheckDoes() {
        X509Certificate shop = certificate("shop", List.of("*.shop.internal", "s*-a.zone.internal"), List.of());
        assertThat(PeerCertificateNames.names(shop, "silo-1.shop.internal")).isTrue();
        assertThat(PeerCertificateNames.names(shop, "a.silo-1.shop.internal")).as("one label only").isFalse();
        assertThat(PeerCertificateNames.names(shop, "shop.internal")).isFalse();
        assertThat(PeerCertificateNames.names(shop, "silo-a.zone.internal")).isTrue();
        assertThat(PeerCertificateNames.names(shop, "silo-b.zone.internal")).isFalse();
        X509Certificate internal = certificate("internal", List.of("*.internal", "silo-*.*.svc"), List.of());
        assertThat(PeerCertificateNames.names(internal, "shop.internal")).as("a private authority's").isTrue();
        assertThat(PeerCertificateNames.names(internal, "silo-3.bank.svc")).isTrue();
        assertThat(PeerCertificateNames.names(internal, "web-3.bank.svc")).isFalse();
        X509Certificate illegal = certificate("illegal", List.of("*", "shop.*"), List.of());
        assertThat(PeerCertificateNames.names(illegal, "shop")).isFalse();
        assertThat(PeerCertificateNames.names(illegal, "shop.internal")).isFalse();
    }

    @Test
    void withoutAlternativeNamesAHostNameMayBeTheCommonNameButAnIpAddressNever() {
        X509Certificate byHost = certificate("silo-1.shop.internal", List.of(), List.of());
        assertThat(PeerCertificateNames.names(byHost, "silo-1.shop.internal")).isTrue();
        assertThat(PeerCertificateNames.names(byHost, "silo-2.shop.internal")).isFalse();
        X509Certificate byAddress = certificate("10.0.0.5", List.of(), List.of());
        assertThat(PeerCertificateNames.names(byAddress, "10.0.0.5")).isFalse();
    }

    @Test
    void theDescriptionNamesTheSubjectAndEveryName() {
        X509Certificate certificate = certificate("silo-1", List.of("silo-1.shop.internal"), List.of("10.0.0.5"));
        assertThat(PeerCertificateNames.describe(certificate))
            .isEqualTo("subject CN=silo-1, names [DNS:silo-1.shop.internal, IP:10.0.0.5]");
    }

    private X509Certificate certificate(String commonName, List<String> dnsNames, List<String> ipAddresses) {
        return this.authority.issueNaming(commonName, dnsNames, ipAddresses).certificate();
    }
}
