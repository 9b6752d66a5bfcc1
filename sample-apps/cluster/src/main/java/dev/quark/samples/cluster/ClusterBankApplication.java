package dev.quark.samples.cluster;

import dev.quark.samples.bank.BankApplication;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Import;

/**
 * The bank sample as one silo of a cluster: the bank's accounts, its REST API and its monthly fee
 * ({@link BankApplication}, imported as it is), plus {@code GET /bank/total}, {@code GET /silo} and the
 * {@link Pulse pulses} (a reminder each, every tick counted), which show reminders outliving a crashed silo. Every
 * process started from this application's jar joins the cluster named by {@code quark.cluster.name}; silos talk
 * over gRPC and keep membership, balances and reminders in Redis (the default) or PostgreSQL (profile
 * {@code postgres}). Start three on one machine with different ports:
 * <pre>
 * java -jar quark-sample-cluster.jar --quark.cluster.silo.id=silo-1 --server.port=8081 --spring.grpc.server.port=9091
 * java -jar quark-sample-cluster.jar --quark.cluster.silo.id=silo-2 --server.port=8082 --spring.grpc.server.port=9092
 * java -jar quark-sample-cluster.jar --quark.cluster.silo.id=silo-3 --server.port=8083 --spring.grpc.server.port=9093
 * </pre>
 */
@SpringBootApplication
@Import(BankApplication.class)
public class ClusterBankApplication {

    public static void main(String[] args) {
        SpringApplication.run(ClusterBankApplication.class, args);
    }
}
