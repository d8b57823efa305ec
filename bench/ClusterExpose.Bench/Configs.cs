using System.IO;

namespace ClusterExpose.Bench;

/// <summary>The same routes for every proxy: bench.example.top by SNI to the TLS origin, one plain port to the source origin.</summary>
internal static class Configs
{
    public const string ServerName = "bench.example.top";

    public static string HaProxy(string folder, TargetPorts front, int originTls, int originSource, int originHttp)
    {
        string path = Path.Combine(folder, "haproxy.cfg");
        File.WriteAllText(path, $"""
            global
                maxconn 9900
                nbthread 1
            defaults
                mode tcp
                timeout connect 5s
                timeout client 1h
                timeout server 1h
            frontend tls
                bind 127.0.0.1:{front.Tls}
                tcp-request inspect-delay 5s
                tcp-request content accept if {"{"} req.ssl_hello_type 1 {"}"}
                use_backend origin_tls if {"{"} req.ssl_sni -i {ServerName} {"}"}
            backend origin_tls
                server origin 127.0.0.1:{originTls}
            frontend plain
                bind 127.0.0.1:{front.Plain}
                default_backend origin_source
            backend origin_source
                server origin 127.0.0.1:{originSource}
            frontend web
                mode http
                bind 127.0.0.1:{front.Http}
                option http-keep-alive
                timeout http-keep-alive 1h
                use_backend origin_http if {"{"} hdr(host) -i {ServerName} {"}"}
            backend origin_http
                mode http
                http-reuse always
                server origin 127.0.0.1:{originHttp}

            """);
        return $"-f {path} -db";
    }

    public static string Nginx(string folder, TargetPorts front, int originTls, int originSource, int originHttp)
    {
        string path = Path.Combine(folder, "nginx.conf");
        File.WriteAllText(path, $$"""
            load_module /usr/lib/nginx/modules/ngx_stream_module.so;
            daemon off;
            master_process off;
            worker_processes 1;
            worker_rlimit_nofile 20000;
            pid {{folder}}/nginx.pid;
            error_log {{folder}}/nginx-error.log warn;
            events { worker_connections 19000; }
            stream {
                map $ssl_preread_server_name $origin {
                    {{ServerName}} 127.0.0.1:{{originTls}};
                    default 127.0.0.1:9;
                }
                server { listen 127.0.0.1:{{front.Tls}}; ssl_preread on; proxy_pass $origin; }
                server { listen 127.0.0.1:{{front.Plain}}; proxy_pass 127.0.0.1:{{originSource}}; }
            }
            http {
                access_log off;
                keepalive_requests 1000000;
                keepalive_timeout 3600s;
                upstream origin_http { server 127.0.0.1:{{originHttp}}; keepalive 64; keepalive_requests 1000000; }
                server {
                    listen 127.0.0.1:{{front.Http}};
                    server_name {{ServerName}};
                    location / { proxy_pass http://origin_http; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; }
                }
            }

            """);
        return $"-c {path} -p {folder}";
    }

    public static string SniProxy(string folder, TargetPorts front, int originTls)
    {
        string path = Path.Combine(folder, "sniproxy.conf");
        File.WriteAllText(path, $$"""
            user daemon
            pidfile {{folder}}/sniproxy.pid
            error_log {
                filename {{folder}}/sniproxy-error.log
                priority notice
            }
            listener 127.0.0.1:{{front.Tls}} {
                protocol tls
                table bench
            }
            table bench {
                {{ServerName}} 127.0.0.1:{{originTls}}
            }

            """);
        return $"-f -c {path}";
    }
}
